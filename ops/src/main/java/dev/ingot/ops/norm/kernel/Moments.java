package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.StatsLayout.SHIFT;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_X;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_X;

/**
 * Merges the per-unit partial sums of one instance, in unit order, into the instance's mean, biased variance and
 * (for the backward pass) sum(dy) and sum(dy * (x - mean)).
 *
 * <p>Each unit was centred on its own shift, so its sums are small and exact enough; units are merged with Chan's
 * pairwise update (mean difference times counts), which never subtracts two large sums. The fixed unit order makes
 * the result independent of which thread computed which unit.
 */
final class Moments {
    private Moments() {
    }

    /**
     * Writes the mean and biased variance of instance channel {@code channel} of group {@code group} into
     * {@code out[meanAt]} and {@code out[varAt]}. NaN propagates; the variance is never negative otherwise.
     */
    static void meanAndVariance(NormGeometry geo, int units, double[] stats, int group, int channel,
                                double[] out, int meanAt, int varAt) {
        final int ch = geo.unitChannels();
        double count = 0, m = 0, m2 = 0;
        for (int k = 0; k < units; k++) {
            int base = statsBase(units, ch, group, k) + channel;
            double n = geo.unitSize(k);
            double sum = stats[base + SUM_X * ch];
            double unitMean = stats[base + SHIFT * ch] + sum / n;
            double unitM2 = stats[base + SUM_SQ * ch] - sum * (sum / n);
            if (k == 0) {
                count = n;
                m = unitMean;
                m2 = unitM2;
            } else {
                double delta = unitMean - m;
                double total = count + n;
                m += delta * (n / total);
                m2 += unitM2 + delta * delta * (count * n / total);
                count = total;
            }
        }
        out[meanAt] = m;
        out[varAt] = Math.max(m2 / count, 0.0); // Math.max keeps NaN
    }

    /** Returns sum(dy) over the instance. */
    static double sumDy(NormGeometry geo, int units, double[] stats, int group, int channel) {
        final int ch = geo.unitChannels();
        double s = 0;
        for (int k = 0; k < units; k++) {
            s += stats[statsBase(units, ch, group, k) + channel + SUM_DY * ch];
        }
        return s;
    }

    /** Returns sum(dy * (x - mean)) over the instance, moving each unit's sum from its shift to {@code mean}. */
    static double sumDyCentred(NormGeometry geo, int units, double[] stats, int group, int channel, double mean) {
        final int ch = geo.unitChannels();
        double s = 0;
        for (int k = 0; k < units; k++) {
            int base = statsBase(units, ch, group, k) + channel;
            s += stats[base + SUM_DY_X * ch] + (stats[base + SHIFT * ch] - mean) * stats[base + SUM_DY * ch];
        }
        return s;
    }

    /**
     * {@link NormGeometry#statsBase} with the units per group given: merges run once per instance between the
     * sums and the write, where the division that computes that count would sit on the critical path.
     */
    static int statsBase(int units, int unitChannels, int group, int k) {
        return (group * units + k) * StatsLayout.FIELDS * unitChannels;
    }
}
