package dev.ingot.runtime.interop;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.ForeignMemory;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tensors through the Arrow C Data Interface in pure FFM, as the canonical extension type
 * {@code arrow.fixed_shape_tensor}: a {@code FixedSizeList<float>} (or {@code <double>}) column whose row {@code r}
 * is the tensor {@code t[r]}. A tensor {@code [N, d1, ..., dk]} is N rows of shape {@code [d1, ..., dk]}, with
 * extension metadata {@code {"shape":[d1,...,dk]}}; a channels-last tensor is written in its physical order
 * {@code [spatial..., C]} with the {@code "permutation"} that gives back {@code [C, spatial...]}.
 *
 * <p><b>Export</b> ({@link #exportTensor(Tensor, MemorySegment, MemorySegment)}) fills an {@code ArrowSchema} and
 * an {@code ArrowArray} the consumer allocated; the array's data buffer is the tensor's own memory, held until the
 * consumer calls the array's release callback (the tensor may be closed before). Every structure ingot hands out
 * (the two base structures and their children) has its own release callback, runs it once, and may be moved by
 * the consumer as the interface allows.
 *
 * <p><b>Import</b> ({@link #importTensor(MemorySegment, MemorySegment)}) takes ownership of both structures
 * whatever happens: it reads the schema and releases it, moves the array into memory of its own (marking the
 * caller's structure released) and returns a tensor over the array's data buffer, without copying. The array's
 * release callback runs exactly once, after the tensor and every hold on its memory are closed; when the import
 * fails it runs at once and an {@link IllegalArgumentException} says what was expected.
 *
 * <p><b>Thread-safety:</b> thread-safe; release callbacks may be called from any thread.
 */
public final class ArrowCData {

    /** Size in bytes of {@code struct ArrowSchema}. */
    public static final long SCHEMA_BYTES = ArrowLayouts.SCHEMA.byteSize();
    /** Size in bytes of {@code struct ArrowArray}. */
    public static final long ARRAY_BYTES = ArrowLayouts.ARRAY.byteSize();
    /** The canonical extension name ingot reads and writes. */
    public static final String EXTENSION_NAME = "arrow.fixed_shape_tensor";

    static final String EXTENSION_NAME_KEY = "ARROW:extension:name";
    static final String EXTENSION_METADATA_KEY = "ARROW:extension:metadata";
    private static final System.Logger LOG = System.getLogger(ArrowCData.class.getName());
    private static final AtomicLong IDS = new AtomicLong(1);
    /** Exported structures not yet released, by the id in their {@code private_data}. */
    private static final Map<Long, Exported> EXPORTS = new ConcurrentHashMap<>();

    private ArrowCData() {
    }

    /**
     * One exported structure: its private block (strings, pointer arrays, child structures), the child structure
     * it releases with itself, and the hold on tensor memory (data-carrying arrays only).
     */
    private record Exported(long block, long child, ForeignMemory.Hold hold) {
    }

    // ---- export ----------------------------------------------------------------------------------------------

    /**
     * Exports {@code tensor} as an {@code arrow.fixed_shape_tensor} column (zero copy) into structures the consumer
     * allocated. Dimension 0 is the row count; each row is a tensor of the remaining dimensions.
     *
     * @param tensor an open float32 or float64 tensor of rank 2 or more, layout NCHW or CHANNELS_LAST, whose memory
     *               ingot counts (see {@link ForeignMemory#hold(Tensor)}; else export
     *               {@code tensor.convertTo(tensor.layout())}, an owned copy)
     * @param schema an {@code ArrowSchema} of {@link #SCHEMA_BYTES} bytes to fill
     * @param array  an {@code ArrowArray} of {@link #ARRAY_BYTES} bytes to fill
     * @throws IllegalArgumentException when the tensor cannot be exported; nothing is written then
     * @throws IllegalStateException    when the tensor is closed or unbacked
     */
    public static void exportTensor(Tensor tensor, MemorySegment schema, MemorySegment array) {
        if (tensor == null || schema == null || array == null || schema.address() == 0 || array.address() == 0) {
            throw new IllegalArgumentException("tensor, schema, array: expected a tensor and two structures, got "
                    + tensor + ", " + schema + ", " + array);
        }
        long[] dims = tensor.shape().dims();
        if (dims.length < 2) {
            throw new IllegalArgumentException("tensor: expected rank 2 or more (rows, then each row's shape), got "
                    + tensor.shape() + "; reshape it to [1, " + dims[0] + "]");
        }
        if (tensor.layout() == Layout.NC4HW4) {
            throw new IllegalArgumentException("tensor: expected layout NCHW or CHANNELS_LAST, got NC4HW4; export"
                    + " tensor.convertTo(Layout.NCHW)");
        }
        MemorySegment data = NativeCalls.nativeData(tensor);
        long[] rowShape = Arrays.copyOfRange(dims, 1, dims.length);
        int[] permutation = null;
        if (tensor.layout() == Layout.CHANNELS_LAST && rowShape.length >= 2) {
            // Physical [spatial..., C]; logical dimension 0 (C) is physical dimension k-1, dimension i is i-1.
            int k = rowShape.length;
            long[] physical = new long[k];
            System.arraycopy(rowShape, 1, physical, 0, k - 1);
            physical[k - 1] = rowShape[0];
            permutation = new int[k];
            permutation[0] = k - 1;
            for (int i = 1; i < k; i++) {
                permutation[i] = i - 1;
            }
            rowShape = physical;
        }
        long listSize = Shape.of(rowShape).elementCount();
        String json = new TensorExtensionMetadata(rowShape, permutation).toJson();
        ForeignMemory.Hold hold = ForeignMemory.hold(tensor);
        try {
            writeSchema(schema, "+w:" + listSize, json, tensor.dtype() == DType.FLOAT32 ? "f" : "g");
        } catch (RuntimeException | Error e) {
            hold.close();
            throw e;
        }
        try {
            writeArray(array, dims[0], listSize, data.address(), hold);
        } catch (RuntimeException | Error e) {
            Callbacks.releaseSchema(schema); // the caller gets an exception, not half an export
            throw e;
        }
    }

    private static void writeSchema(MemorySegment schemaOut, String format, String json, String childFormat) {
        byte[] metadata = encodeMetadata(Map.of(EXTENSION_NAME_KEY, EXTENSION_NAME, EXTENSION_METADATA_KEY, json));
        byte[] formatBytes = cString(format);
        long childSchemaAt = 8;
        long formatAt = childSchemaAt + SCHEMA_BYTES;
        long nameAt = formatAt + formatBytes.length;
        long metadataAt = nameAt + 1;
        MemorySegment block = NativeCalls.calloc(metadataAt + metadata.length);
        MemorySegment childBlock;
        try {
            childBlock = NativeCalls.calloc(2 + 5);
        } catch (RuntimeException | Error e) {
            NativeCalls.free(block.address());
            throw e;
        }
        MemorySegment.copy(formatBytes, 0, block, ValueLayout.JAVA_BYTE, formatAt, formatBytes.length);
        MemorySegment.copy(metadata, 0, block, ValueLayout.JAVA_BYTE, metadataAt, metadata.length);
        MemorySegment.copy(cString(childFormat), 0, childBlock, ValueLayout.JAVA_BYTE, 0, 2);
        MemorySegment.copy(cString("item"), 0, childBlock, ValueLayout.JAVA_BYTE, 2, 5);

        MemorySegment child = block.asSlice(childSchemaAt, SCHEMA_BYTES);
        long childId = IDS.getAndIncrement();
        fillSchema(child, childBlock.address(), childBlock.address() + 2, 0, 0, 0, childId);
        block.set(ValueLayout.JAVA_LONG, 0, child.address());
        long id = IDS.getAndIncrement();
        EXPORTS.put(childId, new Exported(childBlock.address(), 0, null));
        EXPORTS.put(id, new Exported(block.address(), child.address(), null));
        fillSchema(NativeCalls.at(schemaOut.address(), SCHEMA_BYTES), block.address() + formatAt, block.address() + nameAt,
                block.address() + metadataAt, 1, block.address(), id);
    }

    private static void fillSchema(MemorySegment s, long format, long name, long metadata, long children,
                                   long childrenArray, long id) {
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_FORMAT, format);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_NAME, name);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_METADATA, metadata);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_FLAGS, 0L);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_N_CHILDREN, children);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_CHILDREN, childrenArray);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_DICTIONARY, 0L);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_PRIVATE, id);
        s.set(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_RELEASE, Callbacks.SCHEMA.address());
    }

    private static void writeArray(MemorySegment arrayOut, long rows, long listSize, long data,
                                   ForeignMemory.Hold hold) {
        MemorySegment block;
        MemorySegment childBlock;
        try {
            block = NativeCalls.calloc(8 + 8 + ARRAY_BYTES); // buffers [validity], children [child], the child
            try {
                childBlock = NativeCalls.calloc(16); // the child's buffers [validity, values]
            } catch (RuntimeException | Error e) {
                NativeCalls.free(block.address());
                throw e;
            }
        } catch (RuntimeException | Error e) {
            hold.close();
            throw e;
        }
        childBlock.set(ValueLayout.JAVA_LONG, 8, data);
        MemorySegment child = block.asSlice(16, ARRAY_BYTES);
        long childId = IDS.getAndIncrement();
        fillArray(child, rows * listSize, 2, childBlock.address(), 0, 0, childId);
        block.set(ValueLayout.JAVA_LONG, 8, child.address());
        long id = IDS.getAndIncrement();
        EXPORTS.put(childId, new Exported(childBlock.address(), 0, hold)); // the data lives in the child
        EXPORTS.put(id, new Exported(block.address(), child.address(), null));
        fillArray(NativeCalls.at(arrayOut.address(), ARRAY_BYTES), rows, 1, block.address(), 1, block.address() + 8, id);
    }

    private static void fillArray(MemorySegment a, long length, long buffers, long buffersArray, long children,
                                  long childrenArray, long id) {
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_LENGTH, length);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_NULL_COUNT, 0L);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_OFFSET, 0L);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_N_BUFFERS, buffers);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_N_CHILDREN, children);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_BUFFERS, buffersArray);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_CHILDREN, childrenArray);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_DICTIONARY, 0L);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_PRIVATE, id);
        a.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_RELEASE, Callbacks.ARRAY.address());
    }

    /**
     * How many exported structures (base structures and their children) still wait for their release callback.
     *
     * @return the count
     */
    public static int pendingExports() {
        return EXPORTS.size();
    }

    /** The release callbacks of every export: upcall stubs for the JVM's life, so a late release still finds them. */
    static final class Callbacks {
        static final MemorySegment SCHEMA = NativeCalls.upcall(Callbacks.class, "releaseSchema");
        static final MemorySegment ARRAY = NativeCalls.upcall(Callbacks.class, "releaseArray");

        private Callbacks() {
        }

        /** Runs on the consumer's thread; never throws, as an exception here would end the JVM. */
        static void releaseSchema(MemorySegment self) {
            release(self.address(), SCHEMA_BYTES, ArrowLayouts.SCHEMA_PRIVATE, ArrowLayouts.SCHEMA_RELEASE);
        }

        /** Runs on the consumer's thread; never throws, as an exception here would end the JVM. */
        static void releaseArray(MemorySegment self) {
            release(self.address(), ARRAY_BYTES, ArrowLayouts.ARRAY_PRIVATE, ArrowLayouts.ARRAY_RELEASE);
        }

        private static void release(long address, long bytes, long privateAt, long releaseAt) {
            try {
                MemorySegment struct = NativeCalls.at(address, bytes);
                Exported exported = EXPORTS.remove(struct.get(ValueLayout.JAVA_LONG, privateAt));
                if (exported == null) {
                    LOG.log(System.Logger.Level.WARNING, "Arrow release called for 0x{0}, which is not a pending"
                            + " ingot export (released twice?); ignored", Long.toHexString(address));
                    return;
                }
                try {
                    if (exported.child() != 0
                            && NativeCalls.at(exported.child(), bytes).get(ValueLayout.JAVA_LONG, releaseAt) != 0) {
                        release(exported.child(), bytes, privateAt, releaseAt); // not moved away by the consumer
                    }
                    if (exported.hold() != null) {
                        exported.hold().close();
                    }
                } finally {
                    NativeCalls.free(exported.block());
                    struct.set(ValueLayout.JAVA_LONG, releaseAt, 0L); // marks it released, as the interface asks
                }
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "releasing an Arrow export failed; its structures are freed", t);
            }
        }
    }

    // ---- import ----------------------------------------------------------------------------------------------

    /**
     * Imports an {@code arrow.fixed_shape_tensor} column (or a plain {@code FixedSizeList<float>} /
     * {@code <double>} without nulls, read as rows of shape {@code [list size]}) as one tensor
     * {@code [rows, row shape...]}, without copying.
     *
     * @param schema the column's {@code ArrowSchema}; ingot reads it and releases it
     * @param array  the column's {@code ArrowArray}; ingot moves it and releases it after the tensor's last holder
     * @return a tensor over the array's values, holding them until closed
     * @throws IllegalArgumentException when the column cannot be a tensor (the structures are released then)
     */
    public static Tensor importTensor(MemorySegment schema, MemorySegment array) {
        if (schema == null || array == null || schema.address() == 0 || array.address() == 0) {
            throw new IllegalArgumentException("schema, array: expected two structures, got " + schema + ", "
                    + array);
        }
        MemorySegment schemaStruct = NativeCalls.at(schema.address(), SCHEMA_BYTES);
        MemorySegment given = NativeCalls.at(array.address(), ARRAY_BYTES);
        long schemaRelease = schemaStruct.get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_RELEASE);
        long arrayRelease = given.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_RELEASE);
        if (schemaRelease == 0 || arrayRelease == 0) {
            if (schemaRelease != 0) {
                NativeCalls.callPointerFunction(schemaRelease, schemaStruct.address());
            }
            if (arrayRelease != 0) {
                NativeCalls.callPointerFunction(arrayRelease, given.address());
            }
            throw new IllegalArgumentException("schema, array: expected structures not yet released, got "
                    + (schemaRelease == 0 ? "a released schema" : "a released array"));
        }
        // Move the array into memory ingot owns, so the caller may free its structure at once.
        MemorySegment moved = NativeCalls.calloc(ARRAY_BYTES);
        MemorySegment.copy(given, 0, moved, 0, ARRAY_BYTES);
        given.set(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_RELEASE, 0L);
        Runnable releaseArray = () -> {
            try {
                NativeCalls.callPointerFunction(arrayRelease, moved.address());
            } finally {
                NativeCalls.free(moved.address());
            }
        };
        TensorType type;
        long dataAddress;
        try {
            ColumnType column;
            try {
                column = ColumnType.read(schemaStruct);
            } finally {
                NativeCalls.callPointerFunction(schemaRelease, schemaStruct.address());
            }
            long rows = moved.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_LENGTH);
            type = column.tensorType(rows);
            dataAddress = column.dataAddress(moved, rows);
        } catch (Throwable e) {
            releaseArray.run();
            throw e;
        }
        long bytes = type.byteSize();
        ForeignMemory memory = ForeignMemory.of(NativeCalls.at(bytes == 0 ? 0 : dataAddress, bytes), releaseArray);
        try {
            return memory.tensor(type);
        } finally {
            memory.close();
        }
    }

    /** What a schema says: the element type, each row's logical shape and the layout. */
    private record ColumnType(DType dtype, long listSize, long[] rowShape, Layout layout) {

        static ColumnType read(MemorySegment schema) {
            String format = cStringAt(schema.get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_FORMAT));
            if (!format.startsWith("+w:")) {
                throw new IllegalArgumentException("schema: expected a fixed-size list (format \"+w:N\"), got format \""
                        + format + "\"");
            }
            long listSize;
            try {
                listSize = Long.parseLong(format.substring(3));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("schema: expected a list size in format \"" + format + "\"", e);
            }
            if (schema.get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_N_CHILDREN) != 1
                    || schema.get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_DICTIONARY) != 0) {
                throw new IllegalArgumentException("schema: expected one child and no dictionary for \"" + format
                        + "\"");
            }
            MemorySegment child = NativeCalls.at(pointerAt(schema, ArrowLayouts.SCHEMA_CHILDREN, "schema children"),
                    SCHEMA_BYTES);
            String childFormat = cStringAt(child.get(ValueLayout.JAVA_LONG, ArrowLayouts.SCHEMA_FORMAT));
            DType dtype = switch (childFormat) {
                case "f" -> DType.FLOAT32;
                case "g" -> DType.FLOAT64;
                default -> throw new IllegalArgumentException("schema: expected list values of float32 (\"f\") or"
                        + " float64 (\"g\"), got format \"" + childFormat + "\"");
            };
            Map<String, String> metadata = decodeMetadata(schema.get(ValueLayout.JAVA_LONG,
                    ArrowLayouts.SCHEMA_METADATA));
            String extension = metadata.get(EXTENSION_NAME_KEY);
            if (extension == null) {
                return new ColumnType(dtype, listSize, new long[] {listSize}, Layout.NCHW);
            }
            if (!extension.equals(EXTENSION_NAME)) {
                throw new IllegalArgumentException("schema: expected extension " + EXTENSION_NAME + " or none, got "
                        + extension);
            }
            TensorExtensionMetadata parameters = TensorExtensionMetadata.parse(
                    metadata.getOrDefault(EXTENSION_METADATA_KEY, ""));
            long[] physical = parameters.shape();
            if (Shape.of(physical.length == 0 ? new long[] {1} : physical).elementCount() != listSize
                    || physical.length == 0) {
                throw new IllegalArgumentException("metadata: expected a \"shape\" of " + listSize + " elements for"
                        + " format \"" + format + "\", got " + Arrays.toString(physical));
            }
            if (physical.length + 1 > Shape.MAX_RANK) {
                throw new IllegalArgumentException("metadata: expected a \"shape\" of at most " + (Shape.MAX_RANK - 1)
                        + " dimensions, got " + Arrays.toString(physical));
            }
            int[] permutation = parameters.permutation();
            int k = physical.length;
            if (permutation == null || isIdentity(permutation)) {
                return new ColumnType(dtype, listSize, physical, Layout.NCHW);
            }
            if (k >= 2 && isChannelsLast(permutation)) {
                long[] logical = new long[k];
                logical[0] = physical[k - 1];
                System.arraycopy(physical, 0, logical, 1, k - 1);
                return new ColumnType(dtype, listSize, logical, Layout.CHANNELS_LAST);
            }
            throw new IllegalArgumentException("metadata: expected no \"permutation\", the identity or channels-last "
                    + "[" + (k - 1) + ", 0, ..., " + (k - 2) + "], got " + Arrays.toString(permutation));
        }

        private static boolean isIdentity(int[] permutation) {
            for (int i = 0; i < permutation.length; i++) {
                if (permutation[i] != i) {
                    return false;
                }
            }
            return true;
        }

        private static boolean isChannelsLast(int[] permutation) {
            int k = permutation.length;
            if (permutation[0] != k - 1) {
                return false;
            }
            for (int i = 1; i < k; i++) {
                if (permutation[i] != i - 1) {
                    return false;
                }
            }
            return true;
        }

        TensorType tensorType(long rows) {
            long[] dims = new long[rowShape.length + 1];
            dims[0] = rows;
            System.arraycopy(rowShape, 0, dims, 1, rowShape.length);
            return new TensorType(Shape.of(dims), dtype, layout);
        }

        /** Checks the array against the schema and finds row 0's first value. */
        long dataAddress(MemorySegment array, long rows) {
            long offset = array.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_OFFSET);
            if (rows < 0 || offset < 0) {
                throw new IllegalArgumentException("array: expected length and offset >= 0, got " + rows + ", "
                        + offset);
            }
            if (array.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_N_BUFFERS) != 1
                    || array.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_N_CHILDREN) != 1) {
                throw new IllegalArgumentException("array: expected 1 buffer and 1 child for a fixed-size list, got "
                        + array.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_N_BUFFERS) + " and "
                        + array.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_N_CHILDREN));
            }
            long[] buffers = NativeCalls.at(nonNull(array.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_BUFFERS),
                    "array buffers"), 8).toArray(ValueLayout.JAVA_LONG);
            noNulls("array", array, buffers[0], offset, rows);
            MemorySegment child = NativeCalls.at(pointerAt(array, ArrowLayouts.ARRAY_CHILDREN, "array children"),
                    ARRAY_BYTES);
            long childOffset = child.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_OFFSET);
            long childLength = child.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_LENGTH);
            long first = Math.multiplyExact(offset, listSize);
            long count = Math.multiplyExact(rows, listSize);
            if (child.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_N_BUFFERS) != 2 || childOffset < 0
                    || childLength < first + count) {
                throw new IllegalArgumentException("array: expected a values child of 2 buffers and at least "
                        + (first + count) + " values, got " + child.get(ValueLayout.JAVA_LONG,
                        ArrowLayouts.ARRAY_N_BUFFERS) + " buffers and " + childLength + " values");
            }
            long[] childBuffers = NativeCalls.at(nonNull(child.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_BUFFERS),
                    "values buffers"), 16).toArray(ValueLayout.JAVA_LONG);
            noNulls("values", child, childBuffers[0], childOffset + first, count);
            long address = childBuffers[1] + (childOffset + first) * dtype.byteSize();
            if (count > 0 && (childBuffers[1] == 0 || address % dtype.byteSize() != 0)) {
                throw new IllegalArgumentException("array: expected a values buffer aligned to " + dtype.byteSize()
                        + " bytes for " + dtype + ", got 0x" + Long.toHexString(address));
            }
            return address;
        }

        /** The first entry of the pointer array at {@code field} of {@code struct}, checked for NULL on the way. */
        private static long pointerAt(MemorySegment struct, long field, String what) {
            long array = nonNull(struct.get(ValueLayout.JAVA_LONG, field), what);
            return nonNull(NativeCalls.at(array, 8).get(ValueLayout.JAVA_LONG, 0), what + "[0]");
        }

        private static long nonNull(long address, String what) {
            if (address == 0) {
                throw new IllegalArgumentException(what + ": expected a pointer, got NULL");
            }
            return address;
        }

        private static void noNulls(String what, MemorySegment array, long validity, long from, long count) {
            long nulls = array.get(ValueLayout.JAVA_LONG, ArrowLayouts.ARRAY_NULL_COUNT);
            if (nulls == 0 || validity == 0 || count == 0) {
                return;
            }
            if (nulls < 0) { // unknown: count the bits of the rows the tensor covers
                MemorySegment bits = NativeCalls.at(validity, (from + count + 7) / 8);
                nulls = 0;
                for (long i = from; i < from + count; i++) {
                    if ((bits.get(ValueLayout.JAVA_BYTE, i >>> 3) & (1 << (i & 7))) == 0) {
                        nulls++;
                    }
                }
            }
            if (nulls > 0) {
                throw new IllegalArgumentException(what + ": expected no nulls (a tensor has no missing values), got "
                        + nulls);
            }
        }
    }

    // ---- strings and metadata ----------------------------------------------------------------------------------

    private static byte[] cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    private static String cStringAt(long address) {
        if (address == 0) {
            throw new IllegalArgumentException("schema: expected a format string, got NULL");
        }
        return NativeCalls.at(address, Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    /** The interface's metadata encoding: int32 pair count, then per pair int32 length + key, int32 length + value. */
    static byte[] encodeMetadata(Map<String, String> pairs) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        MemorySegment int32 = MemorySegment.ofArray(new byte[4]);
        java.util.function.IntConsumer writeInt = value -> {
            int32.set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
            out.writeBytes(int32.toArray(ValueLayout.JAVA_BYTE));
        };
        writeInt.accept(pairs.size());
        for (Map.Entry<String, String> pair : new java.util.TreeMap<>(pairs).entrySet()) {
            for (String s : new String[] {pair.getKey(), pair.getValue()}) {
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                writeInt.accept(bytes.length);
                out.writeBytes(bytes);
            }
        }
        return out.toByteArray();
    }

    static Map<String, String> decodeMetadata(long address) {
        Map<String, String> pairs = new LinkedHashMap<>();
        if (address == 0) {
            return pairs;
        }
        MemorySegment m = NativeCalls.at(address, Long.MAX_VALUE);
        int count = m.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        long at = 4;
        for (int i = 0; i < count; i++) {
            String[] pair = new String[2];
            for (int j = 0; j < 2; j++) {
                int length = m.get(ValueLayout.JAVA_INT_UNALIGNED, at);
                if (length < 0) {
                    throw new IllegalArgumentException("schema: expected metadata lengths >= 0, got " + length);
                }
                pair[j] = new String(m.asSlice(at + 4, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                at += 4 + length;
            }
            pairs.put(pair[0], pair[1]);
        }
        return pairs;
    }
}
