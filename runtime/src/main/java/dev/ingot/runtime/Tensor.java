package dev.ingot.runtime;

import dev.ingot.allocator.BufferAllocator;
import dev.ingot.allocator.MemoryChunk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A tensor: a {@link TensorType} (logical shape, dtype, layout) over a {@link MemorySegment}.
 *
 * <p><b>Where the memory comes from, and who frees it.</b>
 * <ul>
 *   <li>{@link #wrap(MemorySegment, TensorType) wrap}: zero copy over memory the caller owns. The caller keeps the
 *       memory alive for as long as the tensor is used; {@link #close()} only invalidates the tensor. A read-only
 *       segment gives a read-only tensor.</li>
 *   <li>{@link #wrap(MemorySegment, TensorType, Runnable) wrap with a release action} and views of a
 *       {@link ForeignMemory}: memory counted by its holders; the release runs once, after the last tensor or
 *       {@link ForeignMemory.Hold hold} over it closes, and segments taken from them throw
 *       {@link IllegalStateException} afterwards.</li>
 *   <li>{@link #allocate(TensorType)} and {@link #copyOf(float[], Shape) copyOf}: owned off-heap memory, counted
 *       the same way (an export to native code keeps it past the tensor's close); {@link #close()} gives it back. {@link #allocate(TensorType, BufferAllocator)}: the same with memory from
 *       an allocator the caller owns.</li>
 *   <li>{@link CpuBackend#newTensor(TensorType)}: an unbacked tensor whose memory the backend binds on
 *       {@link CpuBackend#acquire acquire} (STATIC at once, DYNAMIC when the resize ends) and takes away on
 *       {@link CpuBackend#release release}; {@link #close()} releases STATIC memory it still holds.</li>
 *   <li>{@link #reshape(Shape)}: a view sharing its base's memory; valid while the base is.</li>
 * </ul>
 * Elements are in native byte order.
 *
 * <p><b>Thread-safety.</b> Reading the type and segment from several threads is safe once the tensor is backed;
 * the memory itself has no synchronisation (as with any array). Binding, resizing and closing are not thread-safe:
 * they belong to the thread that owns the tensor's pipeline or backend resize.
 *
 * <p><b>Tensors a pipeline owns</b> (its inputs, its own parameters, op outputs, and views of them; not the
 * caller's tensors passed to {@link Pipeline.Builder#parameter(Tensor)}) belong to whichever thread holds the
 * pipeline ({@link Pipeline#hold()}, or {@link Pipeline#run()} for its duration). While another thread holds it,
 * {@link #segment()}, {@link #copyFrom(float[])}, {@link #copyFrom(double[])}, {@link #toFloatArray()},
 * {@link #toDoubleArray()}, {@link #convertTo(Layout)} and {@link #close()} throw {@link IllegalStateException}.
 * The copies ({@code copyFrom}, {@code to...Array}, {@code convertTo}, {@code close}) hold the pipeline themselves
 * while they copy, so a run or hold by another thread cannot start in the middle of one (it is refused instead).
 * Reads and writes through a segment taken earlier cannot be checked: a segment is raw memory.
 */
public final class Tensor implements AutoCloseable {

    /** What to do when the tensor is closed. */
    interface Owner {
        void tensorClosed(Tensor tensor);
    }

    private static final Owner NOBODY = tensor -> { };

    private TensorType type;
    private MemorySegment segment;
    private final Tensor base;
    private final boolean readOnly;
    private final Owner owner;
    /** Keeps wrapped NIO buffers reachable while the tensor is. */
    @SuppressWarnings("unused")
    private final Object keepAlive;
    private boolean closed;
    /** The claim of the pipeline that owns this tensor, or null; set once when the pipeline declares it. */
    private PipelineClaim claim;

    private Tensor(TensorType type, MemorySegment segment, Tensor base, boolean readOnly, Owner owner,
                   Object keepAlive) {
        this.type = type;
        this.segment = segment;
        this.base = base;
        this.readOnly = readOnly;
        this.owner = owner;
        this.keepAlive = keepAlive;
    }

    /** A backed tensor whose close tells {@code owner} ({@link ForeignMemory} views). */
    static Tensor over(TensorType type, MemorySegment segment, boolean readOnly, Owner owner) {
        return new Tensor(type, segment, null, readOnly, owner, null);
    }

    /** An unbacked tensor whose memory a backend binds later. */
    static Tensor unbacked(TensorType type, Owner owner) {
        return new Tensor(type, null, null, false, owner, null);
    }

    // ---- creation ---------------------------------------------------------------------------------------------

    /**
     * Wraps memory without copying. The tensor sees the first {@code type.byteSize()} bytes of the segment.
     * The caller owns the memory and keeps it alive while the tensor is used; {@link #close()} does not free it.
     * A segment of a confined {@link java.lang.foreign.Arena} gives a tensor only its owner thread can use: a
     * backend with more than one thread refuses it where it is planned or passed to an op
     * ({@link CpuBackend#checkAccessible}), and a one-thread backend runs it on the owner thread only.
     *
     * @param segment the memory; size and alignment are checked against {@code type}
     * @param type the tensor type (shape, dtype, layout)
     * @return the tensor over {@code segment}
     * @throws IllegalArgumentException when the segment is too small or not aligned to the dtype's size
     */
    public static Tensor wrap(MemorySegment segment, TensorType type) {
        return wrapKeeping(segment, type, null);
    }

    /**
     * Wraps a direct buffer's remaining bytes without copying; the tensor keeps the buffer reachable.
     * A read-only buffer gives a read-only tensor. The buffer's byte order is irrelevant: elements are read in
     * native order.
     *
     * @param direct a direct buffer
     * @param type the tensor type (shape, dtype, layout)
     * @return the tensor over the buffer's memory
     * @throws IllegalArgumentException when the buffer is not direct, too small or misaligned
     */
    public static Tensor wrap(ByteBuffer direct, TensorType type) {
        if (direct == null || !direct.isDirect()) {
            throw new IllegalArgumentException("direct: expected a direct ByteBuffer, got "
                    + (direct == null ? "null" : "a heap buffer"));
        }
        return wrapKeeping(MemorySegment.ofBuffer(direct), type, direct);
    }

    /**
     * Wraps a direct float buffer's remaining elements as a float32 NCHW tensor, without copying.
     *
     * @param direct a direct buffer
     * @param shape the logical shape
     * @return the tensor over the buffer's memory
     * @throws IllegalArgumentException when the buffer is not direct, not in native order, or too small
     */
    public static Tensor wrap(FloatBuffer direct, Shape shape) {
        if (direct == null || !direct.isDirect()) {
            throw new IllegalArgumentException("direct: expected a direct FloatBuffer, got "
                    + (direct == null ? "null" : "a heap buffer"));
        }
        if (direct.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("direct: expected native byte order " + ByteOrder.nativeOrder()
                    + ", got " + direct.order());
        }
        return wrapKeeping(MemorySegment.ofBuffer(direct), new TensorType(shape, DType.FLOAT32, Layout.NCHW), direct);
    }

    /**
     * Wraps memory without copying and takes over its release: the tensor holds the memory, and {@link #close()}
     * runs {@code release} once (for example {@code free} for memory from {@code malloc}, or closing the arena of a
     * file mapping). Native memory is moved into a scope of the tensor's, so a segment taken from the tensor
     * throws {@link IllegalStateException} once released. Until then the caller must not free the memory. To
     * share the memory between several tensors, or to keep it past this tensor's close, use
     * {@link ForeignMemory}.
     *
     * @param segment the memory
     * @param type    the tensor's type; the tensor sees the first {@code type.byteSize()} bytes
     * @param release what frees the memory
     * @return a tensor that owns the memory
     * @throws IllegalArgumentException when the segment is too small or misaligned; {@code release} is not run then
     */
    public static Tensor wrap(MemorySegment segment, TensorType type, Runnable release) {
        if (release == null) {
            throw new IllegalArgumentException("release: expected an action, got null");
        }
        wrapKeeping(segment, type, null); // checks size and alignment before taking anything over
        ForeignMemory memory = ForeignMemory.of(segment, release);
        try {
            return memory.tensor(type);
        } finally {
            memory.close();
        }
    }

    private static Tensor wrapKeeping(MemorySegment segment, TensorType type, Object keepAlive) {
        if (segment == null || type == null) {
            throw new IllegalArgumentException("segment, type: expected non-null, got " + segment + ", " + type);
        }
        long needed = type.byteSize();
        if (segment.byteSize() < needed) {
            throw new IllegalArgumentException("segment: expected at least " + needed + " bytes for " + type
                    + ", got " + segment.byteSize());
        }
        int alignment = type.dtype().byteSize();
        if (segment.maxByteAlignment() < alignment) {
            throw new IllegalArgumentException("segment: expected an address aligned to " + alignment + " bytes for "
                    + type.dtype() + ", got alignment " + segment.maxByteAlignment()
                    + (segment.isNative() ? " (address 0x" + Long.toHexString(segment.address()) + ")" : ""));
        }
        return new Tensor(type, segment.asSlice(0, needed), null, segment.isReadOnly(), NOBODY, keepAlive);
    }

    /**
     * A new zero-filled tensor in owned off-heap memory (64-byte aligned); {@link #close()} frees it.
     * Creating and closing costs an arena each: use a backend for tensors made per request.
     *
     * @param type the tensor type (shape, dtype, layout)
     * @return the tensor
     */
    public static Tensor allocate(TensorType type) {
        if (type == null) {
            throw new IllegalArgumentException("type: expected non-null, got null");
        }
        ForeignMemory memory = ForeignMemory.allocate(type.byteSize(), 64);
        try {
            return memory.tensor(type);
        } finally {
            memory.close();
        }
    }

    /**
     * A new tensor in memory from {@code allocator}, which must hand out memory at once (an eager allocator, not a
     * deferred planner); {@link #close()} frees the chunk. The contents are whatever the allocator gives.
     *
     * @param type the tensor type (shape, dtype, layout)
     * @param allocator an eager allocator; the chunk goes back to it when the tensor closes
     * @return the tensor
     * @throws IllegalArgumentException when the allocator cannot back the chunk at once
     */
    public static Tensor allocate(TensorType type, BufferAllocator allocator) {
        if (type == null || allocator == null) {
            throw new IllegalArgumentException("type, allocator: expected non-null, got " + type + ", " + allocator);
        }
        if (type.byteSize() == 0) {
            return new Tensor(type, MemorySegment.NULL, null, false, NOBODY, null);
        }
        MemoryChunk chunk = allocator.alloc(type.byteSize());
        MemorySegment memory;
        try {
            memory = chunk.segment();
        } catch (IllegalStateException e) {
            allocator.free(chunk);
            throw new IllegalArgumentException("allocator: expected one that hands out memory at once, got "
                    + allocator + " (" + e.getMessage() + ")", e);
        }
        return new Tensor(type, memory, null, false, tensor -> allocator.free(chunk), null);
    }

    /**
     * An owned float32 NCHW copy of {@code data} (logical order); {@link #close()} frees it.
     *
     * @param data the values in logical order
     * @param shape the logical shape
     * @return the tensor
     */
    public static Tensor copyOf(float[] data, Shape shape) {
        return copyOf(data, shape, Layout.NCHW);
    }

    /**
     * An owned float32 copy of {@code data} (logical NCHW order) stored in {@code layout}.
     *
     * @param data the values in logical order
     * @param shape the logical shape
     * @param layout the memory layout
     * @return the tensor
     */
    public static Tensor copyOf(float[] data, Shape shape, Layout layout) {
        Tensor tensor = allocate(new TensorType(shape, DType.FLOAT32, layout));
        try {
            tensor.copyFrom(data);
        } catch (Throwable e) {
            tensor.close();
            throw e;
        }
        return tensor;
    }

    /**
     * An owned float64 NCHW copy of {@code data} (logical order); {@link #close()} frees it.
     *
     * @param data the values in logical order
     * @param shape the logical shape
     * @return the tensor
     */
    public static Tensor copyOf(double[] data, Shape shape) {
        Tensor tensor = allocate(new TensorType(shape, DType.FLOAT64, Layout.NCHW));
        try {
            tensor.copyFrom(data);
        } catch (Throwable e) {
            tensor.close();
            throw e;
        }
        return tensor;
    }

    // ---- what it is -------------------------------------------------------------------------------------------

    /**
     * The tensor's type; for a pipeline tensor it may change when the pipeline is resized.
     *
     * @return the tensor's type; for a pipeline tensor it may change when the pipeline is resized
     */
    public TensorType type() {
        return type;
    }

    /**
     * The logical shape {@code [N, C, spatial...]}.
     *
     * @return the logical shape {@code [N, C, spatial...]}
     */
    public Shape shape() {
        return type.shape();
    }

    /**
     * The element type.
     *
     * @return the element type
     */
    public DType dtype() {
        return type.dtype();
    }

    /**
     * The memory layout.
     *
     * @return the memory layout
     */
    public Layout layout() {
        return type.layout();
    }

    /**
     * Element strides of the logical dimensions (a copy).
     *
     * @return the strides, one per logical dimension
     * @throws IllegalStateException for {@link Layout#NC4HW4}
     */
    public long[] strides() {
        return type.strides();
    }

    /**
     * Logical element count.
     *
     * @return the logical element count
     */
    public long elementCount() {
        return type.elementCount();
    }

    /**
     * Bytes of storage (NC4HW4 padding included).
     *
     * @return bytes of storage (NC4HW4 padding included)
     */
    public long byteSize() {
        return type.byteSize();
    }

    /**
     * True when writes are refused: wrapped read-only memory (a read-only mapping, a read-only buffer).
     *
     * @return true when writes are refused: wrapped read-only memory (a read-only mapping, a read-only buffer)
     */
    public boolean isReadOnly() {
        return base != null ? base.isReadOnly() : readOnly;
    }

    /**
     * True when memory is bound and the tensor is open.
     *
     * @return true when memory is bound and the tensor is open
     */
    public boolean isBacked() {
        if (closed) {
            return false;
        }
        return base != null ? base.isBacked() : segment != null;
    }

    /**
     * The backing memory, exactly {@link #byteSize()} bytes. A read-only tensor gives a read-only segment, whose
     * writes the JDK refuses with {@link IllegalArgumentException}.
     * Does not allocate.
     *
     * @return the memory
     * @throws IllegalStateException when the tensor is closed or not backed (not yet acquired/resized, released),
     *                               or it belongs to a pipeline another thread holds
     */
    public MemorySegment segment() {
        PipelineClaim held = claim;
        if (held != null) {
            held.check(this);
        }
        if (closed) {
            throw new IllegalStateException("tensor " + type + " is closed");
        }
        if (base != null) {
            MemorySegment shared = base.segment();
            if (shared.byteSize() != type.byteSize()) {
                throw new IllegalStateException("view " + type + " is stale: its base is now " + base.type());
            }
            return shared;
        }
        MemorySegment current = segment;
        if (current == null) {
            throw new IllegalStateException("tensor " + type + " has no memory: it was not acquired, its resize has"
                    + " not ended, or it was released");
        }
        return current;
    }

    /**
     * Something done with a tensor's raw memory, see {@link #withSegment}.
     *
     * @param <X> the checked exception it may throw
     */
    @FunctionalInterface
    public interface SegmentAction<X extends Exception> {
        /**
         * Uses the memory.
         *
         * @param memory the tensor's memory, exactly {@link #byteSize()} bytes
         * @throws X when the action fails
         */
        void accept(MemorySegment memory) throws X;
    }

    /**
     * Runs {@code action} with this tensor's memory. For a tensor a pipeline owns, the pipeline is held for the
     * action's duration (as the copies hold it), so raw reads and writes inside the action are checked: no run or
     * hold of another thread can start meanwhile. The segment must not be kept after the action returns.
     *
     * @param action what to do with the memory
     * @param <X>    the checked exception the action may throw
     * @throws X                        what the action throws
     * @throws IllegalArgumentException when {@code action} is null
     * @throws IllegalStateException    when the tensor is closed or unbacked, or another thread holds its pipeline
     */
    public <X extends Exception> void withSegment(SegmentAction<X> action) throws X {
        if (action == null) {
            throw new IllegalArgumentException("action: expected a SegmentAction, got null");
        }
        boolean entered = enterClaim();
        try {
            action.accept(segment());
        } finally {
            exitClaim(entered);
        }
    }

    // ---- element copies ---------------------------------------------------------------------------------------

    /**
     * A copy of the elements in logical order ({@code [N, C, spatial...]} row-major), whatever the layout.
     *
     * @return a copy of the elements in logical order ({@code [N, C, spatial...]} row-major), whatever the layout
     */
    public float[] toFloatArray() {
        boolean entered = enterClaim();
        try {
            return toFloatArrayHeld();
        } finally {
            exitClaim(entered);
        }
    }

    private float[] toFloatArrayHeld() {
        MemorySegment memory = segment();
        float[] out = new float[arrayLength()];
        if (layout() == Layout.NCHW && dtype() == DType.FLOAT32) {
            MemorySegment.copy(memory, ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
            return out;
        }
        forEachLogical((i, offset) -> out[(int) i] = (float) get(memory, offset));
        return out;
    }

    /**
     * A copy of the elements in logical order, widened to double.
     *
     * @return a copy of the elements in logical order, widened to double
     */
    public double[] toDoubleArray() {
        boolean entered = enterClaim();
        try {
            MemorySegment memory = segment();
            double[] out = new double[arrayLength()];
            forEachLogical((i, offset) -> out[(int) i] = get(memory, offset));
            return out;
        } finally {
            exitClaim(entered);
        }
    }

    /**
     * Overwrites the elements with {@code data} given in logical order. NC4HW4 padding lanes are set to zero.
     *
     * @param data the values in logical order
     * @throws IllegalArgumentException when the length differs from {@link #elementCount()}
     * @throws IllegalStateException    when the tensor is read-only, closed or unbacked
     */
    public void copyFrom(float[] data) {
        boolean entered = enterClaim();
        try {
            copyFromHeld(data);
        } finally {
            exitClaim(entered);
        }
    }

    private void copyFromHeld(float[] data) {
        MemorySegment memory = writableSegment(data == null ? -1 : data.length);
        if (layout() == Layout.NCHW && dtype() == DType.FLOAT32) {
            MemorySegment.copy(data, 0, memory, ValueLayout.JAVA_FLOAT, 0, data.length);
            return;
        }
        if (layout() == Layout.NC4HW4) {
            memory.fill((byte) 0);
        }
        forEachLogical((i, offset) -> set(memory, offset, data[(int) i]));
    }

    /**
     * Overwrites the elements with {@code data} given in logical order (narrowed for float32).
     *
     * @param data the values in logical order
     */
    public void copyFrom(double[] data) {
        boolean entered = enterClaim();
        try {
            MemorySegment memory = writableSegment(data == null ? -1 : data.length);
            if (layout() == Layout.NC4HW4) {
                memory.fill((byte) 0);
            }
            forEachLogical((i, offset) -> set(memory, offset, data[(int) i]));
        } finally {
            exitClaim(entered);
        }
    }

    /** Holds this tensor's pipeline for one copy; true when this call took it (see {@link #exitClaim}). */
    private boolean enterClaim() {
        PipelineClaim held = base != null ? base.claim : claim;
        return held != null && held.enter(this);
    }

    private void exitClaim(boolean entered) {
        if (entered) {
            (base != null ? base.claim : claim).release();
        }
    }

    private MemorySegment writableSegment(long length) {
        if (length != elementCount()) {
            throw new IllegalArgumentException("data: expected " + elementCount() + " elements for " + type
                    + ", got " + (length < 0 ? "null" : length));
        }
        if (isReadOnly()) {
            throw new IllegalStateException("tensor " + type + " is read-only");
        }
        return segment();
    }

    private int arrayLength() {
        long count = elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + type + " has " + count + " elements, more than a Java"
                    + " array holds");
        }
        return (int) count;
    }

    private double get(MemorySegment memory, long elementOffset) {
        return dtype() == DType.FLOAT32
                ? memory.getAtIndex(ValueLayout.JAVA_FLOAT, elementOffset)
                : memory.getAtIndex(ValueLayout.JAVA_DOUBLE, elementOffset);
    }

    private void set(MemorySegment memory, long elementOffset, double value) {
        if (dtype() == DType.FLOAT32) {
            memory.setAtIndex(ValueLayout.JAVA_FLOAT, elementOffset, (float) value);
        } else {
            memory.setAtIndex(ValueLayout.JAVA_DOUBLE, elementOffset, value);
        }
    }

    @FunctionalInterface
    private interface ElementVisitor {
        void visit(long logicalIndex, long storageOffset);
    }

    /** Visits every element in logical order with its storage offset. */
    private void forEachLogical(ElementVisitor visitor) {
        TensorType t = type;
        long batch = t.batch();
        long channels = t.channels();
        long spatial = t.spatialSize();
        long logical = 0;
        for (long n = 0; n < batch; n++) {
            for (long c = 0; c < channels; c++) {
                for (long s = 0; s < spatial; s++) {
                    visitor.visit(logical++, t.elementOffset(n, c, s));
                }
            }
        }
    }

    // ---- views and conversions --------------------------------------------------------------------------------

    /**
     * A view with another shape over the same memory, without copying. Possible for {@link Layout#NCHW} (any shape
     * with the same element count); for other layouts only the same shape. The view is valid while this tensor
     * is backed with the same size; closing the view does not affect this tensor.
     *
     * @param newShape the new shape, of the same element count
     * @return the view
     * @throws IllegalArgumentException when the element count differs or the layout does not allow it
     */
    public Tensor reshape(Shape newShape) {
        if (newShape == null || newShape.elementCount() != elementCount()) {
            throw new IllegalArgumentException("newShape: expected " + elementCount() + " elements like "
                    + shape() + ", got " + newShape);
        }
        if (layout() != Layout.NCHW && !newShape.equals(shape())) {
            throw new IllegalArgumentException("newShape: layout " + layout() + " cannot be reshaped from "
                    + shape() + " to " + newShape + " without copying; convertTo(Layout.NCHW) first");
        }
        Tensor root = base != null ? base : this;
        Tensor view = new Tensor(type.withShape(newShape), null, root, false, NOBODY, null);
        view.claim = root.claim;
        return view;
    }

    /**
     * An owned copy of this tensor in {@code target} layout; the caller closes it.
     *
     * @param target the layout of the copy
     * @return the copy
     */
    public Tensor convertTo(Layout target) {
        boolean entered = enterClaim();
        try {
            Tensor out = allocate(new TensorType(shape(), dtype(), target));
            try {
                LayoutConverter.convert(this, out);
            } catch (Throwable e) {
                out.close();
                throw e;
            }
            return out;
        } finally {
            exitClaim(entered);
        }
    }

    // ---- lifecycle ---------------------------------------------------------------------------------------------

    /**
     * Closes the tensor: owned memory is given back (off-heap copies, STATIC backend memory), wrapped memory is
     * left to its owner. Afterwards {@link #segment()} throws. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        boolean entered = enterClaim();
        try {
            closed = true;
            try {
                owner.tensorClosed(this);
            } finally {
                segment = null;
            }
        } finally {
            exitClaim(entered);
        }
    }

    /**
     * True once {@link #close()} was called.
     *
     * @return true once {@link #close()} was called
     */
    public boolean isClosed() {
        return closed;
    }

    /** Binds memory (backend use). */
    void bind(MemorySegment memory) {
        if (closed) {
            throw new IllegalStateException("tensor " + type + " is closed");
        }
        this.segment = memory;
    }

    /** Takes the memory away (backend use). */
    void unbind() {
        this.segment = null;
    }

    /** Makes this tensor one a pipeline owns: its use is checked against {@code pipelineClaim}. */
    void claimBy(PipelineClaim pipelineClaim) {
        this.claim = pipelineClaim;
    }

    /** Changes the type of an unbacked backend tensor (pipeline resize). */
    void retype(TensorType newType) {
        this.type = newType;
    }

    /** What close() notifies. */
    Owner owner() {
        return owner;
    }

    /** The tensor whose memory this one shares: the base of a {@link #reshape} view, else this one. */
    Tensor root() {
        return base != null ? base : this;
    }

    /** True for views made by {@link #reshape}. */
    boolean isView() {
        return base != null;
    }

    @Override
    public String toString() {
        return "Tensor" + type + (closed ? " (closed)" : isBacked() ? "" : " (unbacked)");
    }
}
