package dev.ingot.ops.norm.testing;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import java.nio.file.Path;

/** A NumPy .npy file read with the runtime's {@link Npy}, values widened to double, in logical (C) order. */
public record NpyArray(long[] shape, boolean float32, double[] data) {

    public static NpyArray read(Path file) {
        try (Tensor t = Npy.read(file)) {
            return new NpyArray(t.shape().dims(), t.dtype() == DType.FLOAT32, t.toDoubleArray());
        }
    }

    /** The values as float32 (exact for arrays stored as float32). */
    public float[] floats() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return f;
    }
}
