package dev.ingot.bench.cli;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import dev.ingot.runtime.io.NpyHeader;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads {@code .npy} inputs as float32 tensors: float32 files in native byte order are mapped (zero copy), others
 * are read and converted. Every tensor is closed with the {@link Resources} it is given.
 */
final class NpyInputs {
    private final Resources held;

    NpyInputs(Resources held) {
        this.held = held;
    }

    /**
     * @param option the command-line option that named the file, for error messages
     * @throws IllegalArgumentException when the file is missing or not a usable .npy file
     */
    Tensor load(String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + ": expected an .npy file, got "
                    + (Files.exists(file) ? "a folder: " : "no such file: ") + file);
        }
        try {
            NpyHeader header = Npy.readHeader(file);
            if (header.dtype() == DType.FLOAT32 && header.byteOrder() == ByteOrder.nativeOrder()) {
                return held.add(Npy.map(file));
            }
            Tensor read = held.add(Npy.read(file));
            return read.dtype() == DType.FLOAT32 ? read : held.add(Tensor.copyOf(read.toFloatArray(), read.shape()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }
}
