package dev.ingot.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A block of memory with one release action and a count of who still uses it: the creator, every tensor made over
 * it ({@link #tensor(long, TensorType) tensor}) and every extra {@link #hold() hold} (an export to native code).
 * When the last of them closes, the memory's scope is closed, so every segment handed out over it becomes
 * inaccessible (an access throws {@link IllegalStateException}, on any thread, instead of reading freed memory),
 * and then the release action runs, exactly once.
 *
 * <p>Closing a shared scope waits for threads that are inside an access to this memory to leave it; they get
 * {@link IllegalStateException}. So a view closed on one thread while another reads it never lets the release
 * free memory under the reader.
 *
 * <p>Heap segments (arrays) are counted the same way, but a segment handed out before the release stays readable:
 * the garbage collector, not the release, decides when an array goes away.
 *
 * <p><b>Thread-safety:</b> thread-safe. Views, holds and the creator may be closed from any thread, in any order;
 * each of them counts once however often it is closed. The release action runs on the thread that closes last.
 */
public final class ForeignMemory implements AutoCloseable {

    private final Arena scope;
    private final MemorySegment memory;
    private final Runnable release;
    private final AtomicLong holds = new AtomicLong(1);
    private final AtomicBoolean creatorClosed = new AtomicBoolean();
    private volatile boolean released;

    private ForeignMemory(Arena scope, MemorySegment memory, Runnable release) {
        this.scope = scope;
        this.memory = memory;
        this.release = release;
    }

    /**
     * Takes over {@code segment} and its release action (for example {@code free} for memory from {@code malloc},
     * a DLPack deleter, an Arrow release callback). From now on only this object may run it; the caller holds the
     * creator's reference and gives it up with {@link #close()}.
     *
     * <p>Native segments are moved into a scope of this object ({@code reinterpret}, a restricted method: the
     * module {@code dev.ingot.runtime} needs {@code --enable-native-access}).
     *
     * @param segment the memory, native or heap; its size is what views may cover
     * @param release what frees it, run exactly once after the last user closes
     * @return the memory with one hold, the caller's
     * @throws IllegalArgumentException when an argument is null
     */
    @SuppressWarnings("restricted") // moving the caller's segment into a scope of ours is the point of this class
    public static ForeignMemory of(MemorySegment segment, Runnable release) {
        if (segment == null || release == null) {
            throw new IllegalArgumentException("segment, release: expected non-null, got " + segment + ", " + release);
        }
        if (!segment.isNative()) {
            return new ForeignMemory(null, segment, release);
        }
        Arena scope = Arena.ofShared();
        return new ForeignMemory(scope, segment.reinterpret(scope, null), release);
    }

    /**
     * Zero-filled off-heap memory that ingot allocates and frees itself (one shared arena).
     *
     * @param byteSize  bytes, {@code >= 0}
     * @param alignment a power of two
     * @return the memory with one hold, the caller's
     * @throws IllegalArgumentException when the size is negative or the alignment not a power of two
     */
    public static ForeignMemory allocate(long byteSize, long alignment) {
        Arena scope = Arena.ofShared();
        try {
            return new ForeignMemory(scope, scope.allocate(byteSize, alignment), null);
        } catch (Throwable e) {
            scope.close();
            throw e;
        }
    }

    /**
     * A tensor over the first {@code type.byteSize()} bytes. See {@link #tensor(long, TensorType)}.
     *
     * @param type the tensor's type
     * @return a new view holding the memory until it is closed
     * @throws IllegalArgumentException when the memory is too small or misaligned for {@code type}
     * @throws IllegalStateException    when the memory was released
     */
    public Tensor tensor(TensorType type) {
        return tensor(0, type);
    }

    /**
     * A tensor over {@code type.byteSize()} bytes from {@code byteOffset}, without copying. The tensor holds the
     * memory: its {@link Tensor#close()} gives the hold back (once, however often it is closed), and the memory
     * is released after the last hold goes. A read-only segment gives a read-only tensor.
     *
     * @param byteOffset where the tensor starts, in bytes
     * @param type       the tensor's type
     * @return a new view holding the memory until it is closed
     * @throws IllegalArgumentException when the range does not fit or is not aligned to the dtype's size
     * @throws IllegalStateException    when the memory was released
     */
    public Tensor tensor(long byteOffset, TensorType type) {
        Objects.requireNonNull(type, "type");
        if (byteOffset < 0 || byteOffset > memory.byteSize() || memory.byteSize() - byteOffset < type.byteSize()) {
            throw new IllegalArgumentException("byteOffset: expected a range of " + type.byteSize() + " bytes for "
                    + type + " inside " + memory.byteSize() + " bytes, got offset " + byteOffset);
        }
        acquire();
        try {
            MemorySegment slice = memory.asSlice(byteOffset, type.byteSize());
            int alignment = type.dtype().byteSize();
            if (slice.maxByteAlignment() < alignment) {
                throw new IllegalArgumentException("byteOffset: expected an address aligned to " + alignment
                        + " bytes for " + type.dtype() + ", got 0x" + Long.toHexString(slice.address()));
            }
            AtomicBoolean closed = new AtomicBoolean();
            return Tensor.over(type, slice, slice.isReadOnly(), new ViewOwner(this, tensor -> {
                if (closed.compareAndSet(false, true)) {
                    drop();
                }
            }));
        } catch (Throwable e) {
            drop();
            throw e;
        }
    }

    /**
     * An extra hold: the memory stays alive until the hold is closed, whatever else closes first. Exports to
     * native code take one and give it back when the consumer calls its deleter or release callback.
     *
     * @return a new hold
     * @throws IllegalStateException when the memory was released
     */
    public Hold hold() {
        acquire();
        return new Hold(this);
    }

    /**
     * A hold on the memory behind {@code tensor} (or behind the tensor it is a view of), so that the memory
     * outlives the tensor's own close. Memory that ingot counts: {@link Tensor#allocate(TensorType)},
     * {@link Tensor#copyOf(float[], Shape) copyOf}, {@link Tensor#wrap(MemorySegment, TensorType, Runnable)} with a
     * release action, views of a {@code ForeignMemory}, and tensors imported from native code.
     *
     * @param tensor an open tensor
     * @return a new hold on its memory
     * @throws IllegalArgumentException when the tensor's memory is not counted (backend memory, a plain wrap of
     *                                  caller-owned memory, a chunk of a caller's allocator)
     * @throws IllegalStateException    when the tensor is closed or its memory released
     */
    public static Hold hold(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        if (tensor.isClosed() || tensor.root().isClosed()) {
            throw new IllegalStateException("tensor " + tensor.type() + " is closed");
        }
        if (!(tensor.root().owner() instanceof ViewOwner view)) {
            throw new IllegalArgumentException("tensor: expected memory whose lifetime ingot counts (Tensor.allocate,"
                    + " copyOf, a wrap with a release action, a ForeignMemory view, an import), got " + tensor.type()
                    + " in memory owned elsewhere (a backend, an allocator or the caller)");
        }
        return view.memory().hold();
    }

    /**
     * The memory as the views see it, in this object's scope.
     *
     * @return the segment; accessing it after the release throws {@link IllegalStateException}
     */
    public MemorySegment segment() {
        return memory;
    }

    /**
     * How many users still hold the memory: the creator (until {@link #close()}), open views and open holds.
     *
     * @return the count, 0 once released
     */
    public long holds() {
        return holds.get();
    }

    /**
     * True once the last user closed and the release ran (or started running).
     *
     * @return whether the memory is released
     */
    public boolean isReleased() {
        return released;
    }

    /**
     * Gives up the creator's hold; the memory is released now if nobody else holds it. Idempotent.
     *
     * @throws RuntimeException whatever the release action throws, when this close runs it; the memory counts as
     *                          released all the same and the action never runs again
     */
    @Override
    public void close() {
        if (creatorClosed.compareAndSet(false, true)) {
            drop();
        }
    }

    @Override
    public String toString() {
        return "ForeignMemory[" + memory.byteSize() + " bytes, " + (released ? "released" : holds.get() + " holds")
                + "]";
    }

    private void acquire() {
        while (true) {
            long current = holds.get();
            if (current <= 0) {
                throw new IllegalStateException("memory of " + memory.byteSize() + " bytes was released");
            }
            if (holds.compareAndSet(current, current + 1)) {
                return;
            }
        }
    }

    private void drop() {
        long left = holds.decrementAndGet();
        if (left == 0) {
            released = true;
            if (scope != null) {
                closeScope();
            }
            if (release != null) {
                release.run();
            }
        } else if (left < 0) {
            throw new AssertionError("holds of " + this + " fell below zero");
        }
    }

    /**
     * Closes the scope: Java readers on other threads leave with {@link IllegalStateException} before this
     * returns. A native call that was given one of its segments keeps the scope busy until it returns; the
     * release must wait for it, or it would free memory under native code.
     */
    private void closeScope() {
        while (true) {
            try {
                scope.close();
                return;
            } catch (IllegalStateException busy) {
                Thread.yield();
            }
        }
    }

    /** Tells a view's close to its memory. */
    private record ViewOwner(ForeignMemory memory, Tensor.Owner onClose) implements Tensor.Owner {
        @Override
        public void tensorClosed(Tensor tensor) {
            onClose.tensorClosed(tensor);
        }
    }

    /**
     * One extra reference to a {@link ForeignMemory}; closing it gives the reference back, once.
     *
     * <p><b>Thread-safety:</b> thread-safe; {@link #close()} may race with itself and counts once.
     */
    public static final class Hold implements AutoCloseable {
        private final ForeignMemory memory;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Hold(ForeignMemory memory) {
            this.memory = memory;
        }

        /**
         * The memory this hold keeps alive.
         *
         * @return the memory
         */
        public ForeignMemory memory() {
            return memory;
        }

        /**
         * Gives the reference back; releases the memory if it was the last. Idempotent.
         *
         * @throws RuntimeException whatever the release action throws, when this close runs it
         */
        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                memory.drop();
            }
        }
    }
}
