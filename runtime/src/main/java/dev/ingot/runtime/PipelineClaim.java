package dev.ingot.runtime;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Which thread holds a pipeline, if any: an atomic claim that only its owner clears. A pipeline and every tensor it
 * owns share one claim, so a run, a hold and a copy into one of its tensors exclude each other.
 *
 * <p>Claiming is one compare-and-set, releasing one release-store; neither allocates (only a refusal does).
 */
final class PipelineClaim {

    private final AtomicReference<Thread> owner = new AtomicReference<>();

    /**
     * Claims for the calling thread.
     *
     * @return true when this call claimed (the caller must {@link #release()}), false when the calling thread
     *         already held the claim
     * @throws IllegalStateException when another thread holds it
     */
    boolean enter(String what) {
        Thread me = Thread.currentThread();
        if (owner.compareAndSet(null, me)) {
            return true;
        }
        Thread holder = owner.get();
        if (holder == me) {
            return false;
        }
        throw busy(what, holder);
    }

    /** As {@link #enter(String)}, naming a tensor of the pipeline in the refusal. */
    boolean enter(Tensor tensor) {
        Thread me = Thread.currentThread();
        if (owner.compareAndSet(null, me)) {
            return true;
        }
        Thread holder = owner.get();
        if (holder == me) {
            return false;
        }
        throw busy(tensor, holder);
    }

    /** Gives the claim back; only the call whose {@link #enter} returned true does this. */
    void release() {
        owner.setRelease(null);
    }

    /**
     * Checks that no other thread holds the claim, without taking it.
     *
     * @throws IllegalStateException when another thread holds it
     */
    void check(Tensor tensor) {
        Thread holder = owner.get();
        if (holder != null && holder != Thread.currentThread()) {
            throw busy(tensor, holder);
        }
    }

    /** True when the calling thread holds the claim. */
    boolean isHeldByCurrentThread() {
        return owner.get() == Thread.currentThread();
    }

    private static IllegalStateException busy(String what, Thread holder) {
        return new IllegalStateException(what + ": the pipeline is held or running on another thread ("
                + describe(holder) + "); one thread at a time, see Pipeline.hold()");
    }

    private static IllegalStateException busy(Tensor tensor, Thread holder) {
        return new IllegalStateException("tensor " + tensor.type() + " belongs to a pipeline held or running on"
                + " another thread (" + describe(holder) + "); hold the pipeline (Pipeline.hold()) to use its"
                + " tensors");
    }

    private static String describe(Thread holder) {
        return holder == null ? "now released" : "'" + holder.getName() + "'";
    }
}
