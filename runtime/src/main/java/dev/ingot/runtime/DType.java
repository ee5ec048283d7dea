package dev.ingot.runtime;

import java.lang.foreign.ValueLayout;

/** Element type of a tensor. Elements are stored in the platform's native byte order. */
public enum DType {
    /** IEEE 754 binary32, 4 bytes. */
    FLOAT32(4, "float32"),
    /** IEEE 754 binary64, 8 bytes; used where a reference needs the extra precision. */
    FLOAT64(8, "float64");

    private final int byteSize;
    private final String displayName;

    DType(int byteSize, String displayName) {
        this.byteSize = byteSize;
        this.displayName = displayName;
    }

    /**
     * Bytes per element; also the alignment a segment needs to hold this type.
     *
     * @return bytes per element; also the alignment a segment needs to hold this type
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The element's memory layout (native order, naturally aligned).
     *
     * @return the element's memory layout (native order, naturally aligned)
     */
    public ValueLayout valueLayout() {
        return this == FLOAT32 ? ValueLayout.JAVA_FLOAT : ValueLayout.JAVA_DOUBLE;
    }

    /** NumPy-style name: {@code float32}, {@code float64}. */
    @Override
    public String toString() {
        return displayName;
    }
}
