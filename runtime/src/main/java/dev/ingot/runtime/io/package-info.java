/**
 * Interop with files and foreign memory. {@link dev.ingot.runtime.io.Npy} reads and writes NumPy {@code .npy}
 * files (format versions 1 to 3, float32 and float64, either byte order, C order) and maps them as tensors without
 * copying. Bad files are reported as {@link java.lang.IllegalArgumentException}s that name the file and the
 * problem; sizes are checked against the file before anything is allocated, so a hostile header cannot cause an
 * {@link java.lang.OutOfMemoryError} or a hang. Writes go to a temporary file that is renamed into place, so a
 * crash never leaves half a file.
 *
 * <p>Zero-copy wrapping of foreign memory goes through
 * {@link dev.ingot.runtime.Tensor#wrap(java.lang.foreign.MemorySegment, dev.ingot.runtime.TensorType)}: memory from
 * {@code malloc} (through {@link java.lang.foreign.Linker}), a mapped file or a direct buffer becomes a tensor
 * whose owner stays the caller.
 */
package dev.ingot.runtime.io;
