package dev.ingot.ops.norm.testing;

import java.util.Random;

/**
 * Inputs of one instance-norm test problem, NCHW-ordered: x and dy [N, C, M], optional gamma and beta [C].
 *
 * @param m spatial elements per plane
 */
public record Problem(int n, int c, int m, float[] x, float[] dy, float[] gamma, float[] beta, double eps) {

    /** Uniform x in [-2, 3), dy in [-1, 1), gamma in [0.5, 1.5), beta in [-1, 1). */
    public static Problem random(long seed, int n, int c, int m, boolean gamma, boolean beta, double eps) {
        Random r = new Random(seed);
        return new Problem(n, c, m, uniform(r, n * c * m, -2, 3), uniform(r, n * c * m, -1, 1),
                gamma ? uniform(r, c, 0.5, 1.5) : null, beta ? uniform(r, c, -1, 1) : null, eps);
    }

    public static float[] uniform(Random r, int count, double lo, double hi) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    public Problem withX(float[] newX) {
        return new Problem(n, c, m, newX, dy, gamma, beta, eps);
    }

    public Problem withEps(double newEps) {
        return new Problem(n, c, m, x, dy, gamma, beta, newEps);
    }

    public Reference.Forward referenceForward() {
        return Reference.forward(x, n, c, m, gamma, beta, eps);
    }

    public Reference.Backward referenceBackward() {
        return Reference.backward(x, dy, n, c, m, gamma, eps);
    }
}
