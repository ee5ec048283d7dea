package dev.ingot.runtime.interop;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/** The two C structures of the Arrow C Data Interface, as FFM layouts, and the byte offsets ingot uses. */
final class ArrowLayouts {

    /** {@code struct ArrowSchema}. */
    static final StructLayout SCHEMA = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("format"),
            ValueLayout.ADDRESS.withName("name"),
            ValueLayout.ADDRESS.withName("metadata"),
            ValueLayout.JAVA_LONG.withName("flags"),
            ValueLayout.JAVA_LONG.withName("n_children"),
            ValueLayout.ADDRESS.withName("children"),
            ValueLayout.ADDRESS.withName("dictionary"),
            ValueLayout.ADDRESS.withName("release"),
            ValueLayout.ADDRESS.withName("private_data"));
    /** {@code struct ArrowArray}. */
    static final StructLayout ARRAY = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("length"),
            ValueLayout.JAVA_LONG.withName("null_count"),
            ValueLayout.JAVA_LONG.withName("offset"),
            ValueLayout.JAVA_LONG.withName("n_buffers"),
            ValueLayout.JAVA_LONG.withName("n_children"),
            ValueLayout.ADDRESS.withName("buffers"),
            ValueLayout.ADDRESS.withName("children"),
            ValueLayout.ADDRESS.withName("dictionary"),
            ValueLayout.ADDRESS.withName("release"),
            ValueLayout.ADDRESS.withName("private_data"));

    static final long SCHEMA_FORMAT = schema("format");
    static final long SCHEMA_NAME = schema("name");
    static final long SCHEMA_METADATA = schema("metadata");
    static final long SCHEMA_FLAGS = schema("flags");
    static final long SCHEMA_N_CHILDREN = schema("n_children");
    static final long SCHEMA_CHILDREN = schema("children");
    static final long SCHEMA_DICTIONARY = schema("dictionary");
    static final long SCHEMA_RELEASE = schema("release");
    static final long SCHEMA_PRIVATE = schema("private_data");

    static final long ARRAY_LENGTH = array("length");
    static final long ARRAY_NULL_COUNT = array("null_count");
    static final long ARRAY_OFFSET = array("offset");
    static final long ARRAY_N_BUFFERS = array("n_buffers");
    static final long ARRAY_N_CHILDREN = array("n_children");
    static final long ARRAY_BUFFERS = array("buffers");
    static final long ARRAY_CHILDREN = array("children");
    static final long ARRAY_DICTIONARY = array("dictionary");
    static final long ARRAY_RELEASE = array("release");
    static final long ARRAY_PRIVATE = array("private_data");

    /** {@code ARROW_FLAG_NULLABLE}. */
    static final long FLAG_NULLABLE = 2;

    private ArrowLayouts() {
    }

    private static long schema(String field) {
        return SCHEMA.byteOffset(PathElement.groupElement(field));
    }

    private static long array(String field) {
        return ARRAY.byteOffset(PathElement.groupElement(field));
    }
}
