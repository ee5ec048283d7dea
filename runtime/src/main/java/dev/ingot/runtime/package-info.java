/**
 * Tensors and the CPU backend's memory model, the Java form of MNN's {@code Tensor}, {@code Backend},
 * {@code Execution} and {@code Pipeline}.
 *
 * <h2>Tensors</h2>
 * A {@link dev.ingot.runtime.Tensor} is a {@link dev.ingot.runtime.TensorType} — a logical
 * {@link dev.ingot.runtime.Shape} {@code [N, C, spatial...]} (rank 1 to 8), a {@link dev.ingot.runtime.DType}
 * and a {@link dev.ingot.runtime.Layout} (NCHW, channels-last, MNN's packed NC4HW4) — over a
 * {@link java.lang.foreign.MemorySegment}. Memory comes from one of three owners, and the owner frees it:
 * the caller ({@link dev.ingot.runtime.Tensor#wrap(java.lang.foreign.MemorySegment, TensorType) wrap}: zero copy,
 * size and alignment checked, read-only memory gives a read-only tensor), the tensor itself
 * ({@link dev.ingot.runtime.Tensor#allocate allocate}, {@link dev.ingot.runtime.Tensor#copyOf(float[], Shape)
 * copyOf}: {@code close()} frees), or a {@link dev.ingot.runtime.CpuBackend}. A tensor whose memory is gone throws
 * {@link java.lang.IllegalStateException} instead of reading garbage.
 *
 * <h2>Backend, executions and pipelines</h2>
 * The backend owns a static allocator and dynamic memory regions. An {@link dev.ingot.runtime.Execution} is one op
 * instance: {@code onResize} validates shapes and acquires scratch, {@code onExecute} computes without allocating.
 * A {@link dev.ingot.runtime.Pipeline} is an ordered list of executions over tensors. Its {@code resize()} walks the
 * ops in order, acquires every op output as DYNAMIC memory and releases each intermediate after its last consumer,
 * so a chain of ops reuses a few buffers instead of holding every intermediate; pipeline inputs, outputs and
 * parameters are never released or overwritten. {@code run()} then executes with no allocation at all, as often as
 * wanted, until an input shape changes. Each pipeline has its own dynamic memory, so pipelines on one backend can
 * run at the same time from different threads. Ops come from an {@link dev.ingot.runtime.OpRegistry}, filled by
 * {@link java.util.ServiceLoader} with {@link dev.ingot.runtime.OpCreator}s.
 */
package dev.ingot.runtime;
