package dev.ingot.runtime.interop;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.ForeignMemory;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * DLPack both ways against a C peer compiled from {@code src/test/c/dlpack_peer.c}: zero copy (addresses
 * compared), the deleter exactly once, READ_ONLY both ways, and each refusal the header asks for.
 */
class DLPackTest {

    private static NativePeer peer;
    private static MethodHandle makeVersioned;
    private static MethodHandle makeLegacy;
    private static MethodHandle deleterCalls;
    private static MethodHandle firstElement;
    private static MethodHandle legacyFirstElement;
    private static MethodHandle weightedSum;
    private static MethodHandle writeFirst;
    private static MethodHandle flags;
    private static MethodHandle stride;
    private static MethodHandle delete;
    private static MethodHandle deleteOnNewThread;

    @BeforeAll
    static void compilePeer() {
        peer = NativePeer.dlpack();
        if (peer.skipReason() != null) {
            return;
        }
        makeVersioned = peer.function("peer_make_versioned", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_BYTE, JAVA_BYTE, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
        makeLegacy = peer.function("peer_make_legacy", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));
        deleterCalls = peer.function("peer_deleter_calls", FunctionDescriptor.of(JAVA_INT));
        firstElement = peer.function("peer_first_element", FunctionDescriptor.of(ADDRESS, ADDRESS));
        legacyFirstElement = peer.function("peer_legacy_first_element", FunctionDescriptor.of(ADDRESS, ADDRESS));
        weightedSum = peer.function("peer_weighted_sum", FunctionDescriptor.of(JAVA_DOUBLE, ADDRESS));
        writeFirst = peer.function("peer_write_first_unless_read_only", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        flags = peer.function("peer_flags", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        stride = peer.function("peer_stride", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
        delete = peer.function("peer_delete", FunctionDescriptor.ofVoid(ADDRESS));
        deleteOnNewThread = peer.function("peer_delete_on_new_thread", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    private static void needPeer() {
        assumeTrue(peer.skipReason() == null, peer.skipReason());
    }

    // ---- the producer is native ---------------------------------------------------------------------------

    private static MemorySegment produce(int major, int device, int code, int bits, long[] shape, long[] strides,
                                         long byteOffset, long flagBits) throws Throwable {
        try (Arena arena = Arena.ofConfined()) { // the peer copies shape and strides
            MemorySegment shapes = arena.allocateFrom(JAVA_LONG, shape);
            MemorySegment stridesArray = strides == null ? MemorySegment.NULL : arena.allocateFrom(JAVA_LONG, strides);
            return (MemorySegment) makeVersioned.invokeExact(major, device, (byte) code, (byte) bits, shape.length,
                    shapes, stridesArray, byteOffset, flagBits);
        }
    }

    private static MemorySegment produceFloat32(long... shape) throws Throwable {
        return produce(1, 1, 2, 32, shape, null, 0, 0);
    }

    private static int deleterCalls() throws Throwable {
        return (int) deleterCalls.invokeExact();
    }

    private static float[] halves(int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = i * 0.5f;
        }
        return values;
    }

    @Test
    void importIsZeroCopyAndTheDeleterRunsOnceAfterTheLastHolder() throws Throwable {
        needPeer();
        MemorySegment managed = produceFloat32(2, 3, 4);
        long data = ((MemorySegment) firstElement.invokeExact(managed)).address();
        int before = deleterCalls();
        Tensor t = DLPack.importVersioned(managed);
        assertEquals(data, t.segment().address(), "zero copy: the tensor is the producer's memory");
        assertEquals(new TensorType(Shape.of(2, 3, 4), DType.FLOAT32, Layout.NCHW), t.type());
        assertArrayEquals(halves(24), t.toFloatArray());
        assertFalse(t.isReadOnly());

        ForeignMemory.Hold hold = ForeignMemory.hold(t);
        t.close();
        t.close();
        assertEquals(before, deleterCalls(), "a hold keeps the producer's memory");
        hold.close();
        assertEquals(before + 1, deleterCalls(), "deleter after the last holder");
        hold.close();
        assertEquals(before + 1, deleterCalls(), "exactly once");
    }

    @Test
    void float64ImportsAsFloat64() throws Throwable {
        needPeer();
        MemorySegment managed = produce(1, 1, 2, 64, new long[] {5}, null, 0, 0);
        try (Tensor t = DLPack.importVersioned(managed)) {
            assertEquals(DType.FLOAT64, t.dtype());
            assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2}, t.toDoubleArray());
        }
    }

    @Test
    void readOnlyFlagGivesAReadOnlyTensor() throws Throwable {
        needPeer();
        MemorySegment managed = produce(1, 1, 2, 32, new long[] {4}, null, 0, DLPack.FLAG_READ_ONLY);
        try (Tensor t = DLPack.importVersioned(managed)) {
            assertTrue(t.isReadOnly());
            assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[4]));
            assertThrows(IllegalArgumentException.class, () -> t.segment().set(ValueLayout.JAVA_FLOAT, 0, 1f));
            assertArrayEquals(halves(4), t.toFloatArray());
        }
    }

    @Test
    void anUnknownMajorVersionCallsTheDeleterAndThrows() throws Throwable {
        needPeer();
        MemorySegment managed = produce(2, 1, 2, 32, new long[] {4}, null, 0, 0);
        int before = deleterCalls();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DLPack.importVersioned(managed));
        assertTrue(e.getMessage().startsWith("managed: expected DLPack major version 1, got 2.1"), e.getMessage());
        assertEquals(before + 1, deleterCalls());
    }

    @Test
    void eachRefusalNamesTheFieldAndCallsTheDeleterOnce() throws Throwable {
        needPeer();
        record Case(MemorySegment managed, String messageStart) {
        }
        Case[] cases = {
            new Case(produce(1, 2, 2, 32, new long[] {4}, null, 0, 0), "device: expected kDLCPU (1), got kDLCUDA (2)"),
            new Case(produce(1, 1, 0, 32, new long[] {4}, null, 0, 0), "dtype: expected float32 or float64"),
            new Case(produce(1, 1, 2, 16, new long[] {4}, null, 0, 0), "dtype: expected float32 or float64"),
            new Case(produce(1, 1, 2, 32, new long[] {2, 3}, new long[] {1, 2}, 0, 0),
                    "strides: expected compact row-major [3, 1] or channels-last strides for shape [2, 3], got [1, 2]"),
            new Case(produce(1, 1, 2, 32, new long[] {4}, null, 2, 0),
                    "byte_offset: expected data + byte_offset aligned to 4 bytes for float32"),
        };
        for (Case c : cases) {
            int before = deleterCalls();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DLPack.importVersioned(c.managed()));
            assertTrue(e.getMessage().startsWith(c.messageStart()), e.getMessage());
            assertEquals(before + 1, deleterCalls(), c.messageStart());
        }
    }

    @Test
    void stridedInputIsCopiedOnlyWhenAsked() throws Throwable {
        needPeer();
        // Column-major [2, 3]: the peer still puts logical element i at i * 0.5.
        MemorySegment managed = produce(1, 1, 2, 32, new long[] {2, 3}, new long[] {1, 2}, 0, 0);
        int before = deleterCalls();
        try (Tensor copy = DLPack.importVersioned(managed, DLPack.Strided.COPY)) {
            assertEquals(before + 1, deleterCalls(), "the producer's memory is given back at once after the copy");
            assertEquals(Layout.NCHW, copy.layout());
            assertArrayEquals(halves(6), copy.toFloatArray());
        }
        // Negative and padded strides: every second element of a reversed row.
        MemorySegment reversed = produce(1, 1, 2, 64, new long[] {3}, new long[] {-2}, 64, 0);
        try (Tensor copy = DLPack.importVersioned(reversed, DLPack.Strided.COPY)) {
            assertArrayEquals(new double[] {0, 0.5, 1}, copy.toDoubleArray());
        }
    }

    @Test
    void channelsLastStridesImportAsChannelsLastWithoutCopying() throws Throwable {
        needPeer();
        long[] shape = {2, 3, 4, 5};
        long[] nhwc = {60, 1, 15, 3};
        MemorySegment managed = produce(1, 1, 2, 32, shape, nhwc, 0, 0);
        long data = ((MemorySegment) firstElement.invokeExact(managed)).address();
        try (Tensor t = DLPack.importVersioned(managed)) {
            assertEquals(Layout.CHANNELS_LAST, t.layout());
            assertEquals(data, t.segment().address());
            assertArrayEquals(halves(120), t.toFloatArray(), "logical order read through the layout");
        }
    }

    @Test
    void stridesOfExtentOneDimensionsDoNotMatter() throws Throwable {
        needPeer();
        MemorySegment managed = produce(1, 1, 2, 32, new long[] {1, 3, 1}, new long[] {99, 1, 7}, 0, 0);
        try (Tensor t = DLPack.importVersioned(managed)) {
            assertEquals(Layout.NCHW, t.layout());
            assertArrayEquals(halves(3), t.toFloatArray());
        }
    }

    @Test
    void legacyTensorsImportWritableAndZeroCopy() throws Throwable {
        needPeer();
        MemorySegment managed;
        try (Arena arena = Arena.ofConfined()) {
            managed = (MemorySegment) makeLegacy.invokeExact(2, arena.allocateFrom(JAVA_LONG, 3L, 2L));
        }
        long data = ((MemorySegment) legacyFirstElement.invokeExact(managed)).address();
        int before = deleterCalls();
        Tensor t = DLPack.importLegacy(managed);
        assertEquals(data, t.segment().address());
        assertArrayEquals(halves(6), t.toFloatArray());
        t.copyFrom(new float[] {6, 5, 4, 3, 2, 1});
        t.close();
        assertEquals(before + 1, deleterCalls());
    }

    @Test
    void aNullPointerIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DLPack.importVersioned(MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> DLPack.importLegacy(null));
    }

    // ---- the consumer is native ---------------------------------------------------------------------------

    private static double weightedSum(float[] values) {
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            sum += (double) values[i] * (i + 1);
        }
        return sum;
    }

    @Test
    void exportIsZeroCopyAndTheConsumerReadsAndWritesTheSameBytes() throws Throwable {
        needPeer();
        float[] values = {1.5f, -2, 3, 4.25f, 5, 6};
        Tensor t = Tensor.copyOf(values, Shape.of(2, 3));
        int pending = DLPack.pendingExports();
        MemorySegment managed = DLPack.export(t);
        assertEquals(pending + 1, DLPack.pendingExports());
        assertEquals(weightedSum(values), (double) weightedSum.invokeExact(managed), 1e-9);
        assertEquals(0L, (long) flags.invokeExact(managed));
        assertEquals(3L, (long) stride.invokeExact(managed, 0));
        assertEquals(1, (int) writeFirst.invokeExact(managed));
        assertEquals(42f, t.toFloatArray()[0], "the consumer wrote ingot's memory: zero copy");
        delete.invokeExact(managed);
        assertEquals(pending, DLPack.pendingExports());
        t.close();
    }

    @Test
    void anExportOutlivesIngotsCloseUntilTheConsumerCallsTheDeleterOnItsOwnThread() throws Throwable {
        needPeer();
        Arena arena = Arena.ofShared();
        AtomicInteger releases = new AtomicInteger();
        ForeignMemory memory = ForeignMemory.of(arena.allocate(16 * 4, 64), () -> {
            releases.incrementAndGet();
            arena.close();
        });
        Tensor t = memory.tensor(TensorType.float32(16));
        float[] values = halves(16);
        t.copyFrom(values);
        MemorySegment managed = DLPack.export(t);
        t.close();
        memory.close();
        assertEquals(0, releases.get(), "the export holds the memory");
        assertEquals(weightedSum(values), (double) weightedSum.invokeExact(managed), 1e-9,
                "the consumer still reads the values after ingot closed");
        assertEquals(0, (int) deleteOnNewThread.invokeExact(managed));
        assertEquals(1, releases.get(), "released by the consumer's deleter, on a thread the JVM never saw");
        assertTrue(memory.isReleased());
    }

    @Test
    void readOnlyIsHonouredOnExport() throws Throwable {
        needPeer();
        try (Tensor t = Tensor.copyOf(new float[] {1, 2, 3}, Shape.of(3))) {
            ForeignMemory readOnly = ForeignMemory.of(t.segment().asReadOnly(), () -> { });
            try (Tensor view = readOnly.tensor(TensorType.float32(3))) {
                readOnly.close();
                MemorySegment managed = DLPack.export(view);
                assertEquals(DLPack.FLAG_READ_ONLY, (long) flags.invokeExact(managed));
                assertEquals(0, (int) writeFirst.invokeExact(managed), "the consumer saw READ_ONLY and did not write");
                delete.invokeExact(managed);
            }
            assertArrayEquals(new float[] {1, 2, 3}, t.toFloatArray());
        }
    }

    @Test
    void channelsLastExportsChannelsLastStrides() throws Throwable {
        needPeer();
        float[] values = halves(2 * 3 * 2 * 2);
        try (Tensor nchw = Tensor.copyOf(values, Shape.of(2, 3, 2, 2));
             Tensor nhwc = nchw.convertTo(Layout.CHANNELS_LAST)) {
            MemorySegment managed = DLPack.export(nhwc);
            assertEquals(1L, (long) stride.invokeExact(managed, 1));
            assertEquals(3L, (long) stride.invokeExact(managed, 3));
            assertEquals(weightedSum(values), (double) weightedSum.invokeExact(managed), 1e-9,
                    "the consumer reads logical order through the strides");
            delete.invokeExact(managed);
        }
    }

    @Test
    void aReleaseThatThrowsInsideTheDeleterIsLoggedNotACrash() throws Throwable {
        needPeer();
        Arena arena = Arena.ofShared();
        AtomicInteger releases = new AtomicInteger();
        ForeignMemory memory = ForeignMemory.of(arena.allocate(16), () -> {
            releases.incrementAndGet();
            arena.close();
            throw new IllegalStateException("a release that fails");
        });
        Tensor t = memory.tensor(TensorType.float32(4));
        memory.close();
        int pending = DLPack.pendingExports();
        MemorySegment managed = DLPack.export(t);
        t.close();
        delete.invokeExact(managed); // the exception stays on the Java side of the upcall
        assertEquals(1, releases.get());
        assertEquals(pending, DLPack.pendingExports());
    }

    @Test
    void aSecondDeleterCallIsIgnoredWithoutTouchingFreedMemory() {
        try (Tensor t = Tensor.copyOf(new float[] {1, 2}, Shape.of(2))) {
            MemorySegment managed = DLPack.export(t);
            int pending = DLPack.pendingExports();
            long stub = NativeCalls.at(managed.address(), DLPackLayouts.VERSIONED.byteSize())
                    .get(JAVA_LONG, DLPackLayouts.VERSIONED_DELETER);
            NativeCalls.callPointerFunction(stub, managed.address());
            NativeCalls.callPointerFunction(stub, managed.address());
            assertEquals(pending - 1, DLPack.pendingExports());
            assertArrayEquals(new float[] {1, 2}, t.toFloatArray(), "ingot's own hold is untouched");
        }
    }

    @Test
    void ingotConsumesItsOwnExportAtTheSameAddress() {
        Tensor t = Tensor.copyOf(new float[] {1, 2, 3, 4}, Shape.of(2, 2));
        int pending = DLPack.pendingExports();
        Tensor back = DLPack.importVersioned(DLPack.export(t));
        assertEquals(t.segment().address(), back.segment().address());
        t.close();
        assertArrayEquals(new float[] {1, 2, 3, 4}, back.toFloatArray(), "the export holds the memory");
        MemorySegment kept = back.segment();
        back.close(); // calls ingot's deleter through its function pointer
        assertEquals(pending, DLPack.pendingExports());
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_FLOAT, 0),
                "after the last holder the memory is gone and its segments say so");
    }

    @Test
    void exportRefusesWhatItCannotDescribeOrKeepAlive() {
        try (Tensor t = Tensor.copyOf(new float[8], Shape.of(1, 8, 1, 1));
             Tensor packed = t.convertTo(Layout.NC4HW4);
             Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DLPack.export(packed));
            assertTrue(e.getMessage().startsWith("tensor: expected layout NCHW or CHANNELS_LAST, got NC4HW4"));
            Tensor borrowed = Tensor.wrap(arena.allocate(16), TensorType.float32(4));
            e = assertThrows(IllegalArgumentException.class, () -> DLPack.export(borrowed));
            assertTrue(e.getMessage().startsWith("tensor: expected memory whose lifetime ingot counts"));
            borrowed.close();
            assertThrows(IllegalStateException.class, () -> DLPack.export(borrowed));
            Tensor onHeap = Tensor.wrap(MemorySegment.ofArray(new float[4]), TensorType.float32(4), () -> { });
            e = assertThrows(IllegalArgumentException.class, () -> DLPack.export(onHeap));
            assertTrue(e.getMessage().startsWith("tensor: expected off-heap memory, got a heap segment"));
            assertThrows(IllegalArgumentException.class, () -> ArrowCData.exportTensor(onHeap.reshape(Shape.of(2, 2)),
                    arena.allocate(ArrowCData.SCHEMA_BYTES), arena.allocate(ArrowCData.ARRAY_BYTES)));
            onHeap.close();
        }
    }
}
