package dev.ingot.runtime.interop;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.ForeignMemory;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The C Data Interface in pure FFM, ingot on both sides: structures, metadata, moves and release rules. Apache
 * Arrow Java as the other side is tested in the {@code interop-tests} module.
 */
class ArrowCDataTest {

    /** Consumer-allocated structures, as a C consumer would have them on its stack. */
    private record Structs(Arena arena, MemorySegment schema, MemorySegment array) implements AutoCloseable {
        static Structs allocate() {
            Arena arena = Arena.ofConfined();
            return new Structs(arena, arena.allocate(ArrowCData.SCHEMA_BYTES, 8),
                    arena.allocate(ArrowCData.ARRAY_BYTES, 8));
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    private record Counted(ForeignMemory memory, AtomicInteger releases) {
        static Counted of(long bytes) {
            Arena arena = Arena.ofShared();
            AtomicInteger releases = new AtomicInteger();
            ForeignMemory memory = ForeignMemory.of(arena.allocate(bytes, 64), () -> {
                releases.incrementAndGet();
                arena.close();
            });
            return new Counted(memory, releases);
        }
    }

    private static float[] sequence(int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = i - 3.5f;
        }
        return values;
    }

    @Test
    void exportThenImportIsZeroCopyAndReleasesOnceAfterBothSidesClose() {
        Counted counted = Counted.of(4 * 2 * 3 * 4);
        Tensor t = counted.memory().tensor(TensorType.float32(4, 2, 3));
        counted.memory().close();
        t.copyFrom(sequence(24));
        int pending = ArrowCData.pendingExports();
        Tensor back;
        try (Structs s = Structs.allocate()) {
            ArrowCData.exportTensor(t, s.schema(), s.array());
            assertEquals(pending + 4, ArrowCData.pendingExports(), "schema, array and a child of each");
            back = ArrowCData.importTensor(s.schema(), s.array());
            assertEquals(0L, s.array().get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_RELEASE),
                    "the import moved the array and marked the caller's structure released");
            assertEquals(0L, s.schema().get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_RELEASE),
                    "the import released the schema");
        }
        assertEquals(pending + 2, ArrowCData.pendingExports());
        assertEquals(t.segment().address(), back.segment().address(), "zero copy");
        assertEquals(new TensorType(Shape.of(4, 2, 3), DType.FLOAT32, Layout.NCHW), back.type());
        t.close();
        assertArrayEquals(sequence(24), back.toFloatArray());
        assertEquals(0, counted.releases().get());
        back.close();
        assertEquals(pending, ArrowCData.pendingExports());
        assertEquals(1, counted.releases().get());
    }

    @Test
    void channelsLastTravelsAsPhysicalShapeAndPermutation() {
        float[] values = sequence(2 * 3 * 2 * 2);
        try (Tensor nchw = Tensor.copyOf(values, Shape.of(2, 3, 2, 2));
             Tensor nhwc = nchw.convertTo(Layout.CHANNELS_LAST);
             Structs s = Structs.allocate()) {
            ArrowCData.exportTensor(nhwc, s.schema(), s.array());
            Map<String, String> metadata = ArrowCData.decodeMetadata(
                    s.schema().get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_METADATA));
            assertEquals("arrow.fixed_shape_tensor", metadata.get("ARROW:extension:name"));
            assertEquals("{\"shape\":[2,2,3],\"permutation\":[2,0,1]}", metadata.get("ARROW:extension:metadata"));
            try (Tensor back = ArrowCData.importTensor(s.schema(), s.array())) {
                assertEquals(Layout.CHANNELS_LAST, back.layout());
                assertEquals(Shape.of(2, 3, 2, 2), back.shape());
                assertEquals(nhwc.segment().address(), back.segment().address());
                assertArrayEquals(values, back.toFloatArray());
            }
        }
    }

    @Test
    void aConsumerMayMoveTheChildOutAndReleaseItAfterTheParent() {
        Counted counted = Counted.of(2 * 2 * 4);
        Tensor t = counted.memory().tensor(TensorType.float32(2, 2));
        counted.memory().close();
        int pending = ArrowCData.pendingExports();
        try (Structs s = Structs.allocate(); Arena mine = Arena.ofConfined()) {
            ArrowCData.exportTensor(t, s.schema(), s.array());
            t.close();
            MemorySegment child = NativeCalls.at(NativeCalls.at(s.array().get(ValueLayout.JAVA_LONG,
                    ArrowLayouts.ARRAY_CHILDREN), 8).get(ValueLayout.JAVA_LONG, 0), ArrowCData.ARRAY_BYTES);
            MemorySegment moved = mine.allocate(ArrowCData.ARRAY_BYTES, 8);
            moved.copyFrom(child);
            child.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_RELEASE, 0L);
            release(s.array(), ArrowLayouts.ARRAY_RELEASE);
            release(s.schema(), ArrowLayouts.SCHEMA_RELEASE);
            assertEquals(0, counted.releases().get(), "the moved child still holds the data");
            long data = NativeCalls.at(moved.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_BUFFERS), 16)
                    .get(ValueLayout.JAVA_LONG, 8);
            assertEquals(counted.memory().segment().address(), data);
            release(moved, ArrowLayouts.ARRAY_RELEASE);
            assertEquals(0L, moved.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_RELEASE));
            assertEquals(1, counted.releases().get());
        }
        assertEquals(pending, ArrowCData.pendingExports());
    }

    private static void release(MemorySegment struct, long releaseAt) {
        NativeCalls.callPointerFunction(struct.get(ValueLayout.JAVA_LONG, releaseAt), struct.address());
    }

    @Test
    void releasingTwiceIsIgnored() {
        try (Tensor t = Tensor.copyOf(new float[4], Shape.of(2, 2)); Structs s = Structs.allocate()) {
            int pending = ArrowCData.pendingExports();
            ArrowCData.exportTensor(t, s.schema(), s.array());
            long releaseArray = s.array().get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_RELEASE);
            release(s.array(), ArrowLayouts.ARRAY_RELEASE);
            NativeCalls.callPointerFunction(releaseArray, s.array().address());
            release(s.schema(), ArrowLayouts.SCHEMA_RELEASE);
            assertEquals(pending, ArrowCData.pendingExports());
            assertArrayEquals(new float[4], t.toFloatArray(), "ingot's own hold is untouched");
        }
    }

    /** Exports a tensor, then points the schema at other metadata, as a foreign producer could send. */
    private static void importWithMetadata(Map<String, String> metadata, String messageStart) {
        Counted counted = Counted.of(2 * 6 * 4);
        Tensor t = counted.memory().tensor(TensorType.float32(2, 6));
        counted.memory().close();
        int pending = ArrowCData.pendingExports();
        try (Structs s = Structs.allocate()) {
            ArrowCData.exportTensor(t, s.schema(), s.array());
            t.close();
            byte[] encoded = ArrowCData.encodeMetadata(metadata);
            MemorySegment replaced = s.arena().allocate(encoded.length);
            replaced.copyFrom(MemorySegment.ofArray(encoded));
            s.schema().set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_METADATA, replaced.address());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArrowCData.importTensor(s.schema(), s.array()));
            assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
        }
        assertEquals(pending, ArrowCData.pendingExports(), "a failed import released both structures");
        assertEquals(1, counted.releases().get());
    }

    @Test
    void importRefusesWhatIsNotATensorAndReleasesEverything() {
        importWithMetadata(Map.of("ARROW:extension:name", "arrow.json"),
                "schema: expected extension arrow.fixed_shape_tensor or none, got arrow.json");
        importWithMetadata(Map.of("ARROW:extension:name", "arrow.fixed_shape_tensor",
                "ARROW:extension:metadata", "{\"shape\":[4,2]}"), "metadata: expected a \"shape\" of 6 elements");
        importWithMetadata(Map.of("ARROW:extension:name", "arrow.fixed_shape_tensor",
                "ARROW:extension:metadata", "{\"shape\":[1,2,3],\"permutation\":[1,0,2]}"),
                "metadata: expected no \"permutation\", the identity or channels-last [2, 0, ..., 1]");
        importWithMetadata(Map.of("ARROW:extension:name", "arrow.fixed_shape_tensor",
                "ARROW:extension:metadata", "{\"shape\":[2,3"), "metadata: expected ']'");
    }

    @Test
    void nullPointersInTheStructuresAreRefusedNotFollowed() {
        for (long field : new long[] {ArrowLayouts.ARRAY_CHILDREN, ArrowLayouts.ARRAY_BUFFERS}) {
            Counted counted = Counted.of(2 * 2 * 4);
            Tensor t = counted.memory().tensor(TensorType.float32(2, 2));
            counted.memory().close();
            int pending = ArrowCData.pendingExports();
            try (Structs s = Structs.allocate()) {
                ArrowCData.exportTensor(t, s.schema(), s.array());
                t.close();
                s.array().set(ValueLayout.JAVA_LONG, field, 0L);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> ArrowCData.importTensor(s.schema(), s.array()));
                assertTrue(e.getMessage().contains("expected a pointer, got NULL"), e.getMessage());
            }
            assertEquals(pending, ArrowCData.pendingExports(), "released all the same");
            assertEquals(1, counted.releases().get());
        }
    }

    @Test
    void anUnknownNullCountIsCountedFromTheValidityBitsOfTheRowsTaken() {
        for (int bits : new int[] {0b111, 0b101}) {
            try (Tensor t = Tensor.copyOf(sequence(6), Shape.of(3, 2)); Structs s = Structs.allocate()) {
                ArrowCData.exportTensor(t, s.schema(), s.array());
                MemorySegment validity = s.arena().allocate(1);
                validity.set(ValueLayout.JAVA_BYTE, 0, (byte) bits);
                NativeCalls.at(s.array().get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_BUFFERS), 8)
                        .set(ValueLayout.JAVA_LONG, 0, validity.address());
                s.array().set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_NULL_COUNT, -1L);
                if (bits == 0b111) {
                    try (Tensor back = ArrowCData.importTensor(s.schema(), s.array())) {
                        assertArrayEquals(sequence(6), back.toFloatArray());
                    }
                } else {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> ArrowCData.importTensor(s.schema(), s.array()));
                    assertEquals("array: expected no nulls (a tensor has no missing values), got 1", e.getMessage());
                }
            }
        }
    }

    @Test
    void aPlainFixedSizeListImportsAsRowsOfItsListSize() {
        try (Tensor t = Tensor.copyOf(sequence(6), Shape.of(3, 2)); Structs s = Structs.allocate()) {
            ArrowCData.exportTensor(t, s.schema(), s.array());
            s.schema().set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_METADATA, 0L);
            try (Tensor back = ArrowCData.importTensor(s.schema(), s.array())) {
                assertEquals(Shape.of(3, 2), back.shape());
                assertArrayEquals(sequence(6), back.toFloatArray());
            }
        }
    }

    @Test
    void releasedStructuresAndBadTensorsAreRefused() {
        try (Structs s = Structs.allocate()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArrowCData.importTensor(s.schema(), s.array()));
            assertTrue(e.getMessage().startsWith("schema, array: expected structures not yet released"));
            try (Tensor vector = Tensor.copyOf(new float[3], Shape.of(3))) {
                e = assertThrows(IllegalArgumentException.class,
                        () -> ArrowCData.exportTensor(vector, s.schema(), s.array()));
                assertTrue(e.getMessage().startsWith("tensor: expected rank 2 or more"), e.getMessage());
                assertEquals(0L, s.schema().get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_RELEASE),
                        "nothing written");
            }
        }
    }

    @Test
    void extensionMetadataReadsTheSpecsExamplesAndSkipsWhatItDoesNotUse() {
        TensorExtensionMetadata m = TensorExtensionMetadata.parse(
                " { \"shape\" : [100, 200, 500], \"dim_names\": [\"C\", \"H\", \"W\"], \"permutation\": [2, 0, 1],"
                        + " \"other\": {\"a\": [1, {\"b\": null}], \"s\": \"x\\\"y\"} } ");
        assertArrayEquals(new long[] {100, 200, 500}, m.shape());
        assertArrayEquals(new int[] {2, 0, 1}, m.permutation());
        assertNull(TensorExtensionMetadata.parse("{\"shape\": [2, 5]}").permutation());
        assertEquals("{\"shape\":[2,5]}", TensorExtensionMetadata.parse("{\"shape\": [2, 5]}").toJson());
        assertThrows(IllegalArgumentException.class, () -> TensorExtensionMetadata.parse("{}"));
        assertThrows(IllegalArgumentException.class, () -> TensorExtensionMetadata.parse("{\"shape\": [-1]}"));
        assertThrows(IllegalArgumentException.class, () -> TensorExtensionMetadata.parse("{\"shape\": [2.5]}"));
        assertThrows(IllegalArgumentException.class,
                () -> TensorExtensionMetadata.parse("{\"shape\": [2, 3], \"permutation\": [0, 0]}"));
        assertThrows(IllegalArgumentException.class, () -> TensorExtensionMetadata.parse("{\"shape\": [2]} x"));
    }

    @Test
    void metadataEncodingRoundTrips() {
        Map<String, String> pairs = Map.of("ARROW:extension:name", "arrow.fixed_shape_tensor", "k", "välue");
        byte[] encoded = ArrowCData.encodeMetadata(pairs);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(encoded.length);
            native_.copyFrom(MemorySegment.ofArray(encoded));
            assertEquals(pairs, ArrowCData.decodeMetadata(native_.address()));
        }
        assertEquals(Map.of(), ArrowCData.decodeMetadata(0));
    }
}
