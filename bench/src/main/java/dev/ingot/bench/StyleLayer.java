package dev.ingot.bench;

import dev.ingot.ops.grad.InstanceNormExpr;
import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.SgdMomentum;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An AdaIN-style training problem: an affine InstanceNorm layer whose gamma and beta must learn to give content
 * features a target style's per-channel statistics. Content x gets random per-channel means and spreads; the
 * target is x normalized per (n, c) plane (in double) and re-styled with the style's per-channel std and mean, so
 * the loss {@code MSE(InstanceNorm(x; gamma, beta), target)} reaches zero at gamma = style std, beta = style mean.
 * All data comes from a fixed seed. The expressions live in the given graph; the data are plain arrays.
 */
public final class StyleLayer {
    /** InstanceNorm's epsilon, used for both the layer and the target. */
    public static final double EPS = 1e-5;

    private final Expr x;
    private final Expr target;
    private final Expr gamma;
    private final Expr beta;
    private final Expr y;
    private final Expr loss;
    private final float[] content;
    private final float[] targetValues;
    private final float[] styleStd;
    private final float[] styleMean;
    private final long channels;

    private StyleLayer(Graph graph, long[] shape, long seed) {
        TensorType type = TensorType.float32(shape);
        if (shape.length < 3 || shape.length > 5) {
            throw new IllegalArgumentException("shape: expected rank 3 to 5 [N, C, spatial...], got "
                    + Arrays.toString(shape));
        }
        channels = shape[1];
        int c = Math.toIntExact(channels);
        int planeSize = Math.toIntExact(type.spatialSize());
        int planes = Math.toIntExact(shape[0] * channels);
        SplittableRandom random = new SplittableRandom(seed);
        styleStd = new float[c];
        styleMean = new float[c];
        float[] contentMean = new float[c];
        float[] contentStd = new float[c];
        for (int i = 0; i < c; i++) {
            styleStd[i] = (float) random.nextDouble(0.5, 3);
            styleMean[i] = (float) random.nextDouble(-2, 2);
            contentMean[i] = (float) random.nextDouble(-1, 1);
            contentStd[i] = (float) random.nextDouble(0.5, 2);
        }
        content = new float[Math.toIntExact(type.elementCount())];
        targetValues = new float[content.length];
        for (int p = 0; p < planes; p++) {
            int ch = p % c;
            int base = p * planeSize;
            double sum = 0;
            for (int i = 0; i < planeSize; i++) {
                content[base + i] = (float) (contentMean[ch] + contentStd[ch] * gaussian(random));
                sum += content[base + i];
            }
            double mean = sum / planeSize;
            double sq = 0;
            for (int i = 0; i < planeSize; i++) {
                sq += (content[base + i] - mean) * (content[base + i] - mean);
            }
            double invstd = 1 / Math.sqrt(sq / planeSize + EPS);
            for (int i = 0; i < planeSize; i++) {
                targetValues[base + i] = (float) ((content[base + i] - mean) * invstd * styleStd[ch] + styleMean[ch]);
            }
        }
        TensorType perChannel = TensorType.float32(channels);
        float[] ones = new float[c];
        Arrays.fill(ones, 1f);
        x = graph.input("content", type);
        target = graph.input("target", type);
        gamma = graph.parameter("gamma", perChannel, ones);
        beta = graph.parameter("beta", perChannel, new float[c]);
        y = InstanceNormExpr.of(x, gamma, beta, EPS);
        loss = MathOps.mseLoss(y, target);
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller, one value per call: simple and fully determined by the seed
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /**
     * Builds the layer's expressions in {@code graph}.
     *
     * @param shape [N, C, spatial...] of the content features, rank 3 to 5
     * @throws IllegalArgumentException for a bad shape
     */
    public static StyleLayer create(Graph graph, long[] shape, long seed) {
        return new StyleLayer(graph, shape, seed);
    }

    /**
     * The optimizer that converges in about 200 steps: the MSE averages over channels, so the gradient of each
     * gamma/beta entry is about 2/C times its error; a learning rate of 0.05 C makes each step move 10% of the way,
     * and momentum 0.9 speeds that up (heavy-ball rate about sqrt(0.9) per step).
     */
    public SgdMomentum optimizer() {
        return new SgdMomentum(0.05 * channels, 0.9);
    }

    public Expr content() {
        return x;
    }

    public Expr target() {
        return target;
    }

    public Expr gamma() {
        return gamma;
    }

    public Expr beta() {
        return beta;
    }

    /** InstanceNorm's output y. */
    public Expr output() {
        return y;
    }

    /** The MSE loss, shape [1]. */
    public Expr loss() {
        return loss;
    }

    /** The content features, logical order (a copy). */
    public float[] contentValues() {
        return content.clone();
    }

    /** The target features, logical order (a copy). */
    public float[] targetValues() {
        return targetValues.clone();
    }

    /** The style's per-channel std: what gamma should learn (a copy). */
    public float[] styleStd() {
        return styleStd.clone();
    }

    /** The style's per-channel mean: what beta should learn (a copy). */
    public float[] styleMean() {
        return styleMean.clone();
    }

    /** The shape of the features. */
    public Shape shape() {
        return x.shape();
    }
}
