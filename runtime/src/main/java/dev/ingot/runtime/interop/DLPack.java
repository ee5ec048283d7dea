package dev.ingot.runtime.interop;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.ForeignMemory;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DLPack 1.1 in pure FFM: tensors in and out as {@code DLManagedTensorVersioned*} (and the legacy
 * {@code DLManagedTensor*} in), without copying.
 *
 * <p><b>Import</b> ({@link #importVersioned(MemorySegment)}, {@link #importLegacy(MemorySegment)}) takes
 * ownership of the managed tensor whatever happens: the returned tensor views the producer's memory and holds it;
 * the producer's deleter runs exactly once, after the tensor and every hold on its memory (for example an export
 * of it) are closed. When the import fails (an unknown major version, a device other than the CPU, a dtype other
 * than float32/float64, strides that are not compact, a misaligned data pointer) the deleter runs at once and an
 * {@link IllegalArgumentException} says what was expected. A tensor flagged {@code READ_ONLY} imports read-only.
 * Compact row-major strides give an {@link Layout#NCHW} tensor, channels-last strides a
 * {@link Layout#CHANNELS_LAST} one; other strides are refused unless the caller asks for a copy.
 *
 * <p><b>Export</b> ({@link #export(Tensor)}) hands out a {@code DLManagedTensorVersioned*} over the tensor's own
 * memory and takes a hold on it: the memory stays valid after ingot closes the tensor, until the consumer calls
 * the deleter (exactly once, from any thread). A read-only tensor is exported with the {@code READ_ONLY} flag.
 *
 * <p><b>Thread-safety:</b> thread-safe; imports and exports may run on any threads, and a deleter may be called
 * from any native or Java thread.
 */
public final class DLPack {

    /** The DLPack major version ingot reads and writes. */
    public static final int MAJOR_VERSION = 1;
    /** The DLPack minor version ingot writes. */
    public static final int MINOR_VERSION = 1;
    /** {@code DLPACK_FLAG_BITMASK_READ_ONLY}: the consumer must not write the data. */
    public static final long FLAG_READ_ONLY = 1L;
    /** {@code DLPACK_FLAG_BITMASK_IS_COPIED}: the producer made a copy the consumer owns alone. */
    public static final long FLAG_IS_COPIED = 1L << 1;

    private static final System.Logger LOG = System.getLogger(DLPack.class.getName());
    /** Exports whose deleter has not run yet, by the address of their {@code DLManagedTensorVersioned}. */
    private static final Map<Long, ForeignMemory.Hold> EXPORTS = new ConcurrentHashMap<>();

    private DLPack() {
    }

    /** What an import does with strides that are neither row-major nor channels-last. */
    public enum Strided {
        /** Refuse them (the default): the import fails and the deleter runs. */
        REFUSE,
        /** Copy the elements into a new row-major tensor, then run the deleter at once. */
        COPY
    }

    /**
     * Imports a {@code DLManagedTensorVersioned*} without copying; strides that are not compact are refused.
     *
     * @param managed the pointer a producer handed over; ingot owns it from now on
     * @return a tensor over the producer's memory, holding it until closed
     * @throws IllegalArgumentException when the tensor cannot be imported (the deleter has run)
     */
    public static Tensor importVersioned(MemorySegment managed) {
        return importVersioned(managed, Strided.REFUSE);
    }

    /**
     * Imports a {@code DLManagedTensorVersioned*}.
     *
     * @param managed the pointer a producer handed over; ingot owns it from now on
     * @param strided whether strides that are not compact are refused or copied
     * @return a tensor over the producer's memory (or an owned copy, for strided input with {@link Strided#COPY})
     * @throws IllegalArgumentException when the tensor cannot be imported (the deleter has run)
     */
    public static Tensor importVersioned(MemorySegment managed, Strided strided) {
        long self = address(managed);
        MemorySegment header = NativeCalls.at(self, DLPackLayouts.VERSIONED.byteSize());
        long deleter = header.get(ValueLayout.JAVA_LONG, DLPackLayouts.VERSIONED_DELETER);
        int major = header.get(ValueLayout.JAVA_INT, DLPackLayouts.VERSION_MAJOR);
        if (major != MAJOR_VERSION) {
            // The header's rule: only the version and the deleter may be read; every other field may have moved.
            int minor = header.get(ValueLayout.JAVA_INT, DLPackLayouts.VERSION_MINOR);
            NativeCalls.callPointerFunction(deleter, self);
            throw new IllegalArgumentException("managed: expected DLPack major version " + MAJOR_VERSION + ", got "
                    + Integer.toUnsignedString(major) + "." + Integer.toUnsignedString(minor)
                    + " (the deleter was called)");
        }
        long flags = header.get(ValueLayout.JAVA_LONG, DLPackLayouts.VERSIONED_FLAGS);
        return importTensor(header.asSlice(DLPackLayouts.VERSIONED_TENSOR, DLPackLayouts.TENSOR.byteSize()),
                (flags & FLAG_READ_ONLY) != 0, () -> NativeCalls.callPointerFunction(deleter, self), strided);
    }

    /**
     * Imports a legacy {@code DLManagedTensor*} (no version, no flags: writable) without copying.
     *
     * @param managed the pointer a producer handed over; ingot owns it from now on
     * @return a tensor over the producer's memory, holding it until closed
     * @throws IllegalArgumentException when the tensor cannot be imported (the deleter has run)
     */
    public static Tensor importLegacy(MemorySegment managed) {
        return importLegacy(managed, Strided.REFUSE);
    }

    /**
     * Imports a legacy {@code DLManagedTensor*} (no version, no flags: writable).
     *
     * @param managed the pointer a producer handed over; ingot owns it from now on
     * @param strided whether strides that are not compact are refused or copied
     * @return a tensor over the producer's memory (or an owned copy, for strided input with {@link Strided#COPY})
     * @throws IllegalArgumentException when the tensor cannot be imported (the deleter has run)
     */
    public static Tensor importLegacy(MemorySegment managed, Strided strided) {
        long self = address(managed);
        MemorySegment header = NativeCalls.at(self, DLPackLayouts.LEGACY.byteSize());
        long deleter = header.get(ValueLayout.JAVA_LONG, DLPackLayouts.LEGACY_DELETER);
        return importTensor(header.asSlice(0, DLPackLayouts.TENSOR.byteSize()), false,
                () -> NativeCalls.callPointerFunction(deleter, self), strided);
    }

    private static long address(MemorySegment managed) {
        if (managed == null || managed.address() == 0) {
            throw new IllegalArgumentException("managed: expected a pointer to a managed DLPack tensor, got "
                    + (managed == null ? "null" : "NULL"));
        }
        return managed.address();
    }

    private static Tensor importTensor(MemorySegment dlTensor, boolean readOnly, Runnable deleter, Strided strided) {
        DLTensorView view;
        try {
            view = DLTensorView.read(dlTensor);
        } catch (Throwable e) {
            deleter.run();
            throw e;
        }
        Layout layout = view.compactLayout();
        if (layout == null && strided != Strided.COPY) {
            deleter.run();
            throw new IllegalArgumentException("strides: expected compact row-major " + Arrays.toString(
                    DLTensorView.rowMajor(view.shape())) + " or channels-last strides for shape "
                    + Arrays.toString(view.shape()) + ", got " + Arrays.toString(view.strides())
                    + " (pass Strided.COPY to copy; the deleter was called)");
        }
        if (layout == null) {
            try {
                return view.copyToRowMajor();
            } finally {
                deleter.run();
            }
        }
        MemorySegment data = view.data(readOnly);
        ForeignMemory memory = ForeignMemory.of(data, deleter);
        try {
            return memory.tensor(new TensorType(Shape.of(view.shape()), view.dtype(), layout));
        } finally {
            memory.close();
        }
    }

    /**
     * Exports {@code tensor} as a {@code DLManagedTensorVersioned*} over its own memory (zero copy). The export
     * holds the memory: it stays valid after the tensor is closed, until the consumer calls the deleter, which
     * frees the structure and gives the hold back. Row-major tensors get row-major strides, channels-last ones
     * channels-last strides; a read-only tensor gets the {@code READ_ONLY} flag.
     *
     * @param tensor an open tensor of {@link Layout#NCHW} or {@link Layout#CHANNELS_LAST} layout whose memory
     *               ingot counts ({@link Tensor#allocate(TensorType)}, {@link Tensor#copyOf(float[], Shape)
     *               copyOf}, a wrap with a release action, a {@link ForeignMemory} view, an import); for another
     *               tensor export {@code tensor.convertTo(tensor.layout())}, an owned copy
     * @return the pointer to hand to the consumer
     * @throws IllegalArgumentException when the layout is NC4HW4 or the memory is not counted
     * @throws IllegalStateException    when the tensor is closed or unbacked
     */
    public static MemorySegment export(Tensor tensor) {
        if (tensor == null) {
            throw new IllegalArgumentException("tensor: expected a tensor, got null");
        }
        if (tensor.layout() == Layout.NC4HW4) {
            throw new IllegalArgumentException("tensor: expected layout NCHW or CHANNELS_LAST, got NC4HW4, which"
                    + " DLPack strides cannot describe; export tensor.convertTo(Layout.NCHW)");
        }
        MemorySegment data = NativeCalls.nativeData(tensor);
        ForeignMemory.Hold hold = ForeignMemory.hold(tensor);
        try {
            long[] shape = tensor.shape().dims();
            long[] strides = tensor.strides();
            int ndim = shape.length;
            MemorySegment block = NativeCalls.calloc(DLPackLayouts.VERSIONED.byteSize() + 16L * ndim);
            MemorySegment shapeArray = block.asSlice(DLPackLayouts.VERSIONED.byteSize(), 8L * ndim);
            MemorySegment stridesArray = block.asSlice(DLPackLayouts.VERSIONED.byteSize() + 8L * ndim, 8L * ndim);
            MemorySegment.copy(shape, 0, shapeArray, ValueLayout.JAVA_LONG, 0, ndim);
            MemorySegment.copy(strides, 0, stridesArray, ValueLayout.JAVA_LONG, 0, ndim);
            block.set(ValueLayout.JAVA_INT, DLPackLayouts.VERSION_MAJOR, MAJOR_VERSION);
            block.set(ValueLayout.JAVA_INT, DLPackLayouts.VERSION_MINOR, MINOR_VERSION);
            block.set(ValueLayout.JAVA_LONG, DLPackLayouts.VERSIONED_DELETER, Deleter.STUB.address());
            block.set(ValueLayout.JAVA_LONG, DLPackLayouts.VERSIONED_FLAGS, tensor.isReadOnly() ? FLAG_READ_ONLY : 0);
            DLTensorView.write(block.asSlice(DLPackLayouts.VERSIONED_TENSOR, DLPackLayouts.TENSOR.byteSize()),
                    data.address(), tensor.dtype(), shapeArray.address(), stridesArray.address(), ndim);
            EXPORTS.put(block.address(), hold);
            return MemorySegment.ofAddress(block.address());
        } catch (RuntimeException | Error e) {
            hold.close();
            throw e;
        }
    }

    /**
     * How many exports still wait for their consumer's deleter.
     *
     * @return the count
     */
    public static int pendingExports() {
        return EXPORTS.size();
    }

    /** The deleter of every export: one upcall stub for the JVM's life, so a late deleter still finds it. */
    static final class Deleter {
        static final MemorySegment STUB = NativeCalls.upcall(Deleter.class, "delete");

        private Deleter() {
        }

        /** Runs on the consumer's thread; never throws, as an exception here would end the JVM. */
        static void delete(MemorySegment self) {
            try {
                ForeignMemory.Hold hold = EXPORTS.remove(self.address());
                if (hold == null) {
                    LOG.log(System.Logger.Level.WARNING, "DLPack deleter called for 0x{0}, which is not a pending"
                            + " ingot export (called twice?); ignored", Long.toHexString(self.address()));
                    return;
                }
                try {
                    hold.close();
                } finally {
                    NativeCalls.free(self.address());
                }
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "releasing a DLPack export failed; the structure is freed", t);
            }
        }
    }

    static DType dtypeOf(int code, int bits, int lanes) {
        if (code == DLPackLayouts.KDL_FLOAT && lanes == 1 && bits == 32) {
            return DType.FLOAT32;
        }
        if (code == DLPackLayouts.KDL_FLOAT && lanes == 1 && bits == 64) {
            return DType.FLOAT64;
        }
        throw new IllegalArgumentException("dtype: expected float32 or float64 (code 2 = kDLFloat, 32 or 64 bits,"
                + " 1 lane), got code " + code + ", " + bits + " bits, " + lanes + " lanes");
    }
}
