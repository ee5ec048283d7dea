package dev.ingot.serve;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Reusable byte arrays through which request and response bodies pass between the HTTP streams and off-heap
 * memory. The JDK server exposes bodies only as streams, so bytes must cross a {@code byte[]}; a small one that
 * is reused keeps that from costing a body-sized array (or any new array) per request. Thread-safe.
 */
final class TransferChunks {

    static final int CHUNK_BYTES = 64 << 10;

    private final ArrayBlockingQueue<byte[]> free;

    TransferChunks(int capacity) {
        this.free = new ArrayBlockingQueue<>(capacity);
    }

    /** A chunk: a pooled one, or a new one when more requests are in flight than the pool holds. */
    byte[] take() {
        byte[] chunk = free.poll();
        return chunk != null ? chunk : new byte[CHUNK_BYTES];
    }

    /** Gives a chunk back; dropped when the pool is full. */
    void give(byte[] chunk) {
        free.offer(chunk);
    }
}
