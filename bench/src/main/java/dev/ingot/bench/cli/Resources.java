package dev.ingot.bench.cli;

import java.util.ArrayDeque;
import java.util.Deque;

/** Closes what it was given, last first, even when one close fails. */
final class Resources implements AutoCloseable {
    private final Deque<AutoCloseable> held = new ArrayDeque<>();

    <T extends AutoCloseable> T add(T resource) {
        held.push(resource);
        return resource;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        while (!held.isEmpty()) {
            try {
                held.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
