package dev.ingot.interop.arrow;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.ForeignMemory;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.interop.ArrowCData;
import org.apache.arrow.c.ArrowArray;
import org.apache.arrow.c.ArrowSchema;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ingot's pure-FFM C Data Interface against Apache Arrow Java's own (JNI) implementation: zero copy both ways
 * (addresses compared), the values as the other side wrote them, and every release exactly once whichever side
 * closes first: Arrow's allocator closes without a leak and ingot's export registry empties.
 */
class ArrowJavaPeerTest {

    private BufferAllocator allocator;

    @BeforeEach
    void openAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        assertEquals(0, allocator.getAllocatedMemory(), "Arrow Java got all its memory back");
        allocator.close(); // throws when a buffer is still referenced
    }

    /** An Arrow Java {@code arrow.fixed_shape_tensor} column of {@code rows} tensors of shape [2, 3]: value i = i / 4. */
    private FixedSizeListVector arrowColumn(int rows) {
        FieldType listType = new FieldType(false, new ArrowType.FixedSizeList(6), null, Map.of(
                "ARROW:extension:name", "arrow.fixed_shape_tensor",
                "ARROW:extension:metadata", "{\"shape\": [2, 3], \"dim_names\": [\"H\", \"W\"]}"));
        FixedSizeListVector column = new FixedSizeListVector("tensors", allocator, listType, null);
        column.addOrGetVector(FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
        column.allocateNew();
        Float4Vector values = (Float4Vector) column.getDataVector();
        for (int i = 0; i < rows * 6; i++) {
            values.setSafe(i, i / 4f);
        }
        values.setValueCount(rows * 6);
        for (int r = 0; r < rows; r++) {
            column.setNotNull(r);
        }
        column.setValueCount(rows);
        return column;
    }

    private static float[] quarters(int count) {
        float[] expected = new float[count];
        for (int i = 0; i < count; i++) {
            expected[i] = i / 4f;
        }
        return expected;
    }

    private Tensor importFromArrow(FixedSizeListVector column) {
        try (ArrowArray array = ArrowArray.allocateNew(allocator);
             ArrowSchema schema = ArrowSchema.allocateNew(allocator)) {
            Data.exportVector(allocator, column, null, array, schema);
            // ingot moves the array and releases the schema, so Arrow may free both structures right away.
            return ArrowCData.importTensor(MemorySegment.ofAddress(schema.memoryAddress()),
                    MemorySegment.ofAddress(array.memoryAddress()));
        }
    }

    @Test
    void arrowExportsAndIngotImportsAtTheSameAddressArrowClosingFirst() {
        FixedSizeListVector column = arrowColumn(4);
        long arrowAddress = column.getDataVector().getDataBuffer().memoryAddress();
        Tensor t = importFromArrow(column);
        assertEquals(new TensorType(Shape.of(4, 2, 3), DType.FLOAT32, Layout.NCHW), t.type());
        assertEquals(arrowAddress, t.segment().address(), "zero copy");
        column.close(); // the producer lets go first: the export's reference keeps the buffers
        assertArrayEquals(quarters(24), t.toFloatArray());
        assertTrue(allocator.getAllocatedMemory() > 0, "ingot still holds Arrow's buffers");
        t.close();
        t.close();
    }

    @Test
    void arrowExportsAndIngotImportsIngotClosingFirst() {
        FixedSizeListVector column = arrowColumn(3);
        Tensor t = importFromArrow(column);
        t.segment().set(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, -1f);
        assertEquals(-1f, ((Float4Vector) column.getDataVector()).get(0), "one memory, seen from both sides");
        t.close();
        assertEquals(2.5f, ((Float4Vector) column.getDataVector()).get(10));
        column.close();
    }

    @Test
    void ingotExportsAndArrowImportsTheSameValuesAtTheSameAddress() {
        float[] values = quarters(3 * 2 * 2);
        Tensor t = Tensor.copyOf(values, Shape.of(3, 2, 2));
        int pending = ArrowCData.pendingExports();
        try (ArrowArray array = ArrowArray.allocateNew(allocator);
             ArrowSchema schema = ArrowSchema.allocateNew(allocator)) {
            ArrowCData.exportTensor(t, MemorySegment.ofAddress(schema.memoryAddress()),
                    MemorySegment.ofAddress(array.memoryAddress()));
            try (FieldVector imported = Data.importVector(allocator, array, schema, null)) {
                FixedSizeListVector column = (FixedSizeListVector) imported;
                assertEquals(4, column.getListSize());
                assertEquals(3, column.getValueCount());
                assertEquals("arrow.fixed_shape_tensor", column.getField().getMetadata().get("ARROW:extension:name"));
                assertEquals("{\"shape\":[2,2]}", column.getField().getMetadata().get("ARROW:extension:metadata"));
                Float4Vector data = (Float4Vector) column.getDataVector();
                assertEquals(t.segment().address(), data.getDataBuffer().memoryAddress(), "zero copy");
                t.close(); // ingot closes first: the export holds the memory
                for (int i = 0; i < values.length; i++) {
                    assertEquals(values[i], data.get(i), "value " + i);
                }
                assertEquals(pending + 2, ArrowCData.pendingExports(), "the schema is released, the array is not");
            }
        }
        assertEquals(pending, ArrowCData.pendingExports(), "Arrow released the array and its child once");
    }

    @Test
    void arrowClosingFirstLeavesIngotsTensorUsableAndReleasesTheMemoryOnce() {
        Arena arena = Arena.ofShared();
        AtomicInteger releases = new AtomicInteger();
        ForeignMemory memory = ForeignMemory.of(arena.allocate(2 * 3 * 8, 64), () -> {
            releases.incrementAndGet();
            arena.close();
        });
        Tensor t = memory.tensor(new TensorType(Shape.of(2, 3), DType.FLOAT64, Layout.NCHW));
        memory.close();
        t.copyFrom(new double[] {1, 2, 3, 4, 5, 6});
        int pending = ArrowCData.pendingExports();
        try (ArrowArray array = ArrowArray.allocateNew(allocator);
             ArrowSchema schema = ArrowSchema.allocateNew(allocator)) {
            ArrowCData.exportTensor(t, MemorySegment.ofAddress(schema.memoryAddress()),
                    MemorySegment.ofAddress(array.memoryAddress()));
            try (FieldVector imported = Data.importVector(allocator, array, schema, null)) {
                Float8Vector data = (Float8Vector) ((FixedSizeListVector) imported).getDataVector();
                assertEquals(6.0, data.get(5));
            }
        }
        assertEquals(pending, ArrowCData.pendingExports());
        assertEquals(0, releases.get(), "ingot's tensor still holds its memory");
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, t.toDoubleArray());
        t.close();
        assertEquals(1, releases.get());
    }

    @Test
    void aColumnWithNullsIsRefusedAndReleased() {
        FixedSizeListVector column = arrowColumn(3);
        column.setNull(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> importFromArrow(column));
        assertTrue(e.getMessage().startsWith("array: expected no nulls"), e.getMessage());
        column.close();
    }
}
