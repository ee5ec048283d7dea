package dev.ingot.runtime.interop;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The fields of a {@code DLTensor}, read once and checked: a CPU tensor of float32 or float64, rank 1 to 8,
 * non-negative extents, and an element-aligned data address. Strides are kept as given ({@code null} for none).
 */
record DLTensorView(long address, DType dtype, long[] shape, long[] strides) {

    /**
     * Reads and checks a {@code DLTensor}.
     *
     * @throws IllegalArgumentException naming the first field that ingot cannot take
     */
    static DLTensorView read(MemorySegment tensor) {
        int deviceType = tensor.get(ValueLayout.JAVA_INT, DLPackLayouts.DEVICE_TYPE);
        if (deviceType != DLPackLayouts.KDL_CPU) {
            throw new IllegalArgumentException("device: expected kDLCPU (1), got " + DLPackLayouts.deviceName(deviceType)
                    + " (" + deviceType + "), device id " + tensor.get(ValueLayout.JAVA_INT, DLPackLayouts.DEVICE_ID));
        }
        DType dtype = DLPack.dtypeOf(Byte.toUnsignedInt(tensor.get(ValueLayout.JAVA_BYTE, DLPackLayouts.DTYPE_CODE)),
                Byte.toUnsignedInt(tensor.get(ValueLayout.JAVA_BYTE, DLPackLayouts.DTYPE_BITS)),
                Short.toUnsignedInt(tensor.get(ValueLayout.JAVA_SHORT, DLPackLayouts.DTYPE_LANES)));
        int ndim = tensor.get(ValueLayout.JAVA_INT, DLPackLayouts.NDIM);
        if (ndim < 1 || ndim > Shape.MAX_RANK) {
            throw new IllegalArgumentException("ndim: expected 1 to " + Shape.MAX_RANK + ", got " + ndim);
        }
        long shapeAddress = tensor.get(ValueLayout.JAVA_LONG, DLPackLayouts.SHAPE);
        if (shapeAddress == 0) {
            throw new IllegalArgumentException("shape: expected a pointer to " + ndim + " extents, got NULL");
        }
        long[] shape = NativeCalls.at(shapeAddress, 8L * ndim).toArray(ValueLayout.JAVA_LONG);
        long count = Shape.of(shape).elementCount(); // checks extents >= 0 and overflow
        long stridesAddress = tensor.get(ValueLayout.JAVA_LONG, DLPackLayouts.STRIDES);
        long[] strides = stridesAddress == 0 ? null
                : NativeCalls.at(stridesAddress, 8L * ndim).toArray(ValueLayout.JAVA_LONG);
        long data = tensor.get(ValueLayout.JAVA_LONG, DLPackLayouts.DATA);
        long byteOffset = tensor.get(ValueLayout.JAVA_LONG, DLPackLayouts.BYTE_OFFSET);
        long address = data + byteOffset;
        int elementSize = dtype.byteSize();
        if (count > 0 && (data == 0 || Long.remainderUnsigned(address, elementSize) != 0)) {
            throw new IllegalArgumentException("byte_offset: expected data + byte_offset aligned to " + elementSize
                    + " bytes for " + dtype + ", got data 0x" + Long.toHexString(data) + " + byte_offset "
                    + Long.toUnsignedString(byteOffset));
        }
        return new DLTensorView(address, dtype, shape, strides);
    }

    /** Writes a CPU {@code DLTensor} with byte offset 0 (a zero-element tensor gets a NULL data pointer). */
    static void write(MemorySegment tensor, long data, DType dtype, long shape, long strides, int ndim) {
        tensor.set(ValueLayout.JAVA_LONG, DLPackLayouts.DATA, data);
        tensor.set(ValueLayout.JAVA_INT, DLPackLayouts.DEVICE_TYPE, DLPackLayouts.KDL_CPU);
        tensor.set(ValueLayout.JAVA_INT, DLPackLayouts.DEVICE_ID, 0);
        tensor.set(ValueLayout.JAVA_INT, DLPackLayouts.NDIM, ndim);
        tensor.set(ValueLayout.JAVA_BYTE, DLPackLayouts.DTYPE_CODE, (byte) DLPackLayouts.KDL_FLOAT);
        tensor.set(ValueLayout.JAVA_BYTE, DLPackLayouts.DTYPE_BITS, (byte) (dtype.byteSize() * 8));
        tensor.set(ValueLayout.JAVA_SHORT, DLPackLayouts.DTYPE_LANES, (short) 1);
        tensor.set(ValueLayout.JAVA_LONG, DLPackLayouts.SHAPE, shape);
        tensor.set(ValueLayout.JAVA_LONG, DLPackLayouts.STRIDES, strides);
        tensor.set(ValueLayout.JAVA_LONG, DLPackLayouts.BYTE_OFFSET, 0L);
    }

    /** Compact row-major strides of {@code shape}. */
    static long[] rowMajor(long[] shape) {
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= shape[i];
        }
        return strides;
    }

    /** The ingot layout these strides describe without gaps, or null when they are not compact. */
    Layout compactLayout() {
        long count = Shape.of(shape).elementCount();
        if (strides == null || count == 0 || sameWhereItMatters(rowMajor(shape))) {
            return Layout.NCHW;
        }
        if (shape.length >= 3 && sameWhereItMatters(new TensorType(Shape.of(shape), dtype, Layout.CHANNELS_LAST)
                .strides())) {
            return Layout.CHANNELS_LAST;
        }
        return null;
    }

    /** Strides of extent-1 dimensions never move the address, so producers may put anything there. */
    private boolean sameWhereItMatters(long[] expected) {
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1 && strides[i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /** The data, exactly the tensor's bytes (compact layouts only). */
    MemorySegment data(boolean readOnly) {
        long bytes = Shape.of(shape).elementCount() * dtype.byteSize();
        MemorySegment data = NativeCalls.at(bytes == 0 ? 0 : address, bytes);
        return readOnly ? data.asReadOnly() : data;
    }

    /** An owned row-major copy of strided data. */
    Tensor copyToRowMajor() {
        Tensor copy = Tensor.allocate(new TensorType(Shape.of(shape), dtype, Layout.NCHW));
        long count = copy.elementCount();
        if (count == 0) {
            return copy;
        }
        long lowest = 0;
        long highest = 0;
        for (int i = 0; i < shape.length; i++) {
            long reach = (shape[i] - 1) * strides[i];
            lowest += Math.min(0, reach);
            highest += Math.max(0, reach);
        }
        int size = dtype.byteSize();
        MemorySegment source = NativeCalls.at(address + lowest * size, (highest - lowest + 1) * size);
        MemorySegment target = copy.segment();
        long[] index = new long[shape.length];
        long offset = -lowest;
        for (long i = 0; i < count; i++) {
            if (dtype == DType.FLOAT32) {
                target.setAtIndex(ValueLayout.JAVA_FLOAT, i, source.getAtIndex(ValueLayout.JAVA_FLOAT, offset));
            } else {
                target.setAtIndex(ValueLayout.JAVA_DOUBLE, i, source.getAtIndex(ValueLayout.JAVA_DOUBLE, offset));
            }
            for (int d = shape.length - 1; d >= 0; d--) { // odometer over the logical index
                index[d]++;
                offset += strides[d];
                if (index[d] < shape[d]) {
                    break;
                }
                offset -= index[d] * strides[d];
                index[d] = 0;
            }
        }
        return copy;
    }

    @Override
    public String toString() {
        return "DLTensor[" + dtype + " " + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + "]";
    }
}
