package dev.ingot.runtime.io;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Shape;

import java.nio.ByteOrder;

/**
 * The parsed header of a {@code .npy} file, checked against the file's size.
 *
 * @param majorVersion format version, 1 to 3
 * @param minorVersion minor version as written
 * @param dtype        element type
 * @param byteOrder    byte order of the data in the file
 * @param shape        the array's shape (C order)
 * @param dataOffset   byte offset of the data in the file
 */
public record NpyHeader(int majorVersion, int minorVersion, DType dtype, ByteOrder byteOrder, Shape shape,
                        long dataOffset) {

    /**
     * Bytes of data the header announces.
     *
     * @return bytes of data the header announces
     */
    public long dataBytes() {
        return shape.elementCount() * dtype.byteSize();
    }
}
