package dev.ingot.runtime.interop;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** The C structures of dlpack.h 1.1, as FFM layouts, and the byte offsets ingot reads and writes. */
final class DLPackLayouts {

    /** {@code kDLCPU}. */
    static final int KDL_CPU = 1;
    /** {@code kDLFloat}. */
    static final int KDL_FLOAT = 2;

    static final StructLayout DEVICE = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("device_type"),
            ValueLayout.JAVA_INT.withName("device_id"));
    static final StructLayout DATA_TYPE = MemoryLayout.structLayout(
            ValueLayout.JAVA_BYTE.withName("code"),
            ValueLayout.JAVA_BYTE.withName("bits"),
            ValueLayout.JAVA_SHORT.withName("lanes"));
    /** {@code DLTensor}. */
    static final StructLayout TENSOR = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("data"),
            DEVICE.withName("device"),
            ValueLayout.JAVA_INT.withName("ndim"),
            DATA_TYPE.withName("dtype"),
            ValueLayout.ADDRESS.withName("shape"),
            ValueLayout.ADDRESS.withName("strides"),
            ValueLayout.JAVA_LONG.withName("byte_offset"));
    /** {@code DLManagedTensorVersioned}. */
    static final StructLayout VERSIONED = MemoryLayout.structLayout(
            MemoryLayout.structLayout(
                    ValueLayout.JAVA_INT.withName("major"),
                    ValueLayout.JAVA_INT.withName("minor")).withName("version"),
            ValueLayout.ADDRESS.withName("manager_ctx"),
            ValueLayout.ADDRESS.withName("deleter"),
            ValueLayout.JAVA_LONG.withName("flags"),
            TENSOR.withName("dl_tensor"));
    /** The legacy {@code DLManagedTensor}. */
    static final StructLayout LEGACY = MemoryLayout.structLayout(
            TENSOR.withName("dl_tensor"),
            ValueLayout.ADDRESS.withName("manager_ctx"),
            ValueLayout.ADDRESS.withName("deleter"));

    static final long VERSION_MAJOR = VERSIONED.byteOffset(PathElement.groupElement("version"),
            PathElement.groupElement("major"));
    static final long VERSION_MINOR = VERSIONED.byteOffset(PathElement.groupElement("version"),
            PathElement.groupElement("minor"));
    static final long VERSIONED_DELETER = offset(VERSIONED, "deleter");
    static final long VERSIONED_FLAGS = offset(VERSIONED, "flags");
    static final long VERSIONED_TENSOR = offset(VERSIONED, "dl_tensor");
    static final long LEGACY_DELETER = offset(LEGACY, "deleter");

    static final long DATA = offset(TENSOR, "data");
    static final long DEVICE_TYPE = TENSOR.byteOffset(PathElement.groupElement("device"),
            PathElement.groupElement("device_type"));
    static final long DEVICE_ID = TENSOR.byteOffset(PathElement.groupElement("device"),
            PathElement.groupElement("device_id"));
    static final long NDIM = offset(TENSOR, "ndim");
    static final long DTYPE_CODE = TENSOR.byteOffset(PathElement.groupElement("dtype"),
            PathElement.groupElement("code"));
    static final long DTYPE_BITS = TENSOR.byteOffset(PathElement.groupElement("dtype"),
            PathElement.groupElement("bits"));
    static final long DTYPE_LANES = TENSOR.byteOffset(PathElement.groupElement("dtype"),
            PathElement.groupElement("lanes"));
    static final long SHAPE = offset(TENSOR, "shape");
    static final long STRIDES = offset(TENSOR, "strides");
    static final long BYTE_OFFSET = offset(TENSOR, "byte_offset");

    private DLPackLayouts() {
    }

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(PathElement.groupElement(field));
    }

    /** The name of a {@code DLDeviceType} for messages. */
    static String deviceName(int type) {
        return switch (type) {
            case 1 -> "kDLCPU";
            case 2 -> "kDLCUDA";
            case 3 -> "kDLCUDAHost";
            case 4 -> "kDLOpenCL";
            case 7 -> "kDLVulkan";
            case 8 -> "kDLMetal";
            case 9 -> "kDLVPI";
            case 10 -> "kDLROCM";
            case 11 -> "kDLROCMHost";
            case 12 -> "kDLExtDev";
            case 13 -> "kDLCUDAManaged";
            case 14 -> "kDLOneAPI";
            case 15 -> "kDLWebGPU";
            case 16 -> "kDLHexagon";
            case 17 -> "kDLMAIA";
            case 18 -> "kDLTrn";
            default -> "unknown device type";
        };
    }
}
