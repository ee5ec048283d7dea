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
     *
     * @return the mean less the first unit's shift, to full double precision however far the mean is from 0 (the
     *         mean itself is rounded to a double of its own size): see {@link #sumDyCentred}
     */
    static double meanAndVariance(NormGeometry geo, int units, double[] stats, int group, int channel,
                                  double[] out, int meanAt, int varAt) {
        final int ch = geo.unitChannels();
        final double shift0 = stats[statsBase(units, ch, group, 0) + channel + SHIFT * ch];
        double count = 0, m = 0, m2 = 0;
        for (int k = 0; k < units; k++) {
            int base = statsBase(units, ch, group, k) + channel;
            double n = geo.unitSize(k);
            double sum = stats[base + SUM_X * ch];
            // relative to the first shift: shifts are close, so their difference is exact
            double unitMean = (stats[base + SHIFT * ch] - shift0) + sum / n;
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
        out[meanAt] = shift0 + m;
        out[varAt] = Math.max(m2 / count, 0.0); // Math.max keeps NaN
        return m;
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

    /**
     * Returns sum(dy * (x - mean)) over the instance, moving each unit's sum from its shift to the mean, given as
     * {@code meanOffset}, its distance from the first unit's shift ({@link #meanAndVariance}'s result). Not the
     * mean itself: where the mean is far from 0 and dy nearly constant, the mean's rounding to double, times sum(dy),
     * could be a part in a million of this sum.
     */
    static double sumDyCentred(NormGeometry geo, int units, double[] stats, int group, int channel,
                               double meanOffset) {
        final int ch = geo.unitChannels();
        final double shift0 = stats[statsBase(units, ch, group, 0) + channel + SHIFT * ch];
        double s = 0;
        for (int k = 0; k < units; k++) {
            int base = statsBase(units, ch, group, k) + channel;
            double toMean = (stats[base + SHIFT * ch] - shift0) - meanOffset;
            s += stats[base + SUM_DY_X * ch] + toMean * stats[base + SUM_DY * ch];
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
