package dev.ingot.runtime.parallel;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting in tests for a state another thread reaches; stateless, so thread-safe. */
public final class Await {
    private Await() {
    }

    /**
     * Polls {@code condition} until it holds; the 60 s limit is only a hang guard, never a timing assertion.
     *
     * @param condition the state waited for
     * @param what      what the state is, for the failure message
     * @throws AssertionError if the condition does not hold within 60 s
     */
    public static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out: " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
