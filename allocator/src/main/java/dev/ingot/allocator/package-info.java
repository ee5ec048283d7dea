/**
 * Pooled off-heap memory for tensors: the Java form of MNN's {@code BufferAllocator}.
 *
 * <h2>The allocators</h2>
 * <ul>
 *   <li>{@link dev.ingot.allocator.EagerBufferAllocator} – a pool: chunks are carved best fit from blocks, freed
 *       chunks merge with free neighbours at once, and wholly free blocks go back to the source on
 *       {@code release(false)}/{@code trim()}, when the limit needs room, or as soon as they empty once more than
 *       {@code AllocatorOptions.maxPooled()} bytes are pooled. Groups and barriers let several planning threads
 *       keep their freed memory private until they meet. Any thread may call it.</li>
 *   <li>{@link dev.ingot.allocator.DeferBufferAllocator} – a planner: {@code alloc}/{@code free} record lifetimes,
 *       {@code compute()} places all chunks in one block (greedy by size with restarts, measured against
 *       {@code lowerBound()}), {@code apply()} backs them. Chunks keep their memory, freed or not, until
 *       {@code reset()}.</li>
 * </ul>
 * Both hand out {@link dev.ingot.allocator.MemoryChunk}s whose address is aligned as asked (a power of two up to
 * 4096, 64 by default) whatever the source, and both take their blocks from a
 * {@link dev.ingot.allocator.SegmentSource}: {@code arena()} (off-heap, returned to the OS on release),
 * {@code mapped(dir)} (memory-mapped files, removed on close unless kept) or {@code child(parent)} (chunks of
 * another allocator).
 *
 * <h2>Ownership</h2>
 * A chunk belongs to the allocator that made it until it is freed there; an allocator owns its source and closes
 * it. {@code close()} takes everything back, live chunks included, reports those as a leak through the
 * {@link System.Logger} of its {@link dev.ingot.allocator.AllocatorOptions} and keeps the report for
 * {@code liveChunks()}.
 *
 * <h2>Safety modes</h2>
 * Double free is an {@link java.lang.IllegalStateException} naming the chunk; a chunk of another allocator an
 * {@link java.lang.IllegalArgumentException}; {@code chunk.segment()} after free, release or close an
 * {@code IllegalStateException}, in every mode.
 * <ul>
 *   <li>Checked mode ({@code -Dingot.allocator.checked=true}, or {@code AllocatorOptions.withChecked(true)}): each
 *       eager chunk's segment is scoped, and a use after free through it <b>never reads or writes memory that was
 *       handed out again</b>. Chunks share a scope in batches of {@code AllocatorOptions.checkBatch()} (32 by
 *       default), so one shared-arena close (a thread handshake, tens of microseconds) serves a whole batch. A
 *       freed chunk's memory waits in a quarantine, reused by nobody, until its batch's scope is closed: when the
 *       batch is full and all its chunks are freed, or at {@code flushChecks()}, {@code trim()},
 *       {@code release} or {@code close()} (a limit refusal closes it first too). Until then a segment kept after
 *       {@code free} still reaches the chunk's own quarantined memory; from then on, any access through it throws
 *       {@code IllegalStateException}, from any thread. {@code withCheckBatch(1)} gives each chunk its own scope,
 *       closed by its {@code free} (the use after free throws at once; one handshake per free). A batch holds at
 *       most {@code checkBatch} chunks and {@code checkBatch * minBlockSize} bytes; one whose chunks are not all
 *       freed keeps its freed chunks' memory quarantined until they are, so the quarantine never exceeds that
 *       bound per batch with a live chunk, plus the open batch. Chunks placed inside a planning round keep scopes
 *       of their own, closed when the round ends.</li>
 *   <li>Fast mode (the default outside tests): a chunk's segment is a slice of its block. Cost: one slice. A
 *       segment kept after {@code free} still reaches the pool's memory until the block goes back to its source
 *       (from then on access throws): <b>a write through it silently lands in the chunk of whoever allocated that
 *       memory next.</b> That is the documented price of fast mode.</li>
 *   <li>Sampled checks ({@code AllocatorOptions.withSampledChecks(n)}): one chunk in n, at random, is scoped as
 *       in checked mode (batched the same way), the rest run fast. A bug that keeps segments after {@code free}
 *       shows up as an {@code IllegalStateException} on the sampled chunks once their batch closes, at a fraction
 *       of checked mode's cost, and a sampled chunk's use after free never reaches reused memory.</li>
 * </ul>
 * Allocation sites are recorded only when tracking is on ({@code -Dingot.allocator.trackAllocations=true} or
 * {@code AllocatorOptions.withTrackAllocations(true)}): a stack capture per allocation is too dear to leave on in
 * production, so {@code withTrackingInterval(n)} records one allocation in n at random and still names the sites
 * that leak repeatedly.
 *
 * <h2>Accounting and limits</h2>
 * {@link dev.ingot.allocator.AllocatorStats} separates bytes in use, pooled (free, ready for reuse) and reserved
 * from the source. A limit caps the reserved bytes, pooled ones included; an allocation past it throws
 * {@link dev.ingot.allocator.AllocationLimitException} and changes nothing. JFR records block reservations and
 * returns ({@code dev.ingot.allocator.BlockReserved}, {@code BlockReturned}) and refusals
 * ({@code dev.ingot.allocator.AllocationRefused}), never single allocations.
 */
package dev.ingot.allocator;
