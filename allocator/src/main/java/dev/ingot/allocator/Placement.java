package dev.ingot.allocator;

/**
 * Where an allocator put a chunk: a {@link Span} of an eager pool's block, or a {@link DeferBufferAllocator.Lifetime}
 * of a deferred plan. Sealed, so each allocator reads back exactly the kind it stores.
 */
sealed interface Placement permits Span, DeferBufferAllocator.Lifetime {
}
