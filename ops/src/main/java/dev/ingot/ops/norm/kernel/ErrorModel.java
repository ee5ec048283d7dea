package dev.ingot.ops.norm.kernel;

/**
 * The rounding error of a sum that {@link VectorPlaneKernels} adds in float lanes: each of L lanes adds a chain of
 * k terms per block, the lanes are added in a float tree of log2(L) levels, and the block sums in double.
 *
 * <p>Each float addition errs by up to a unit roundoff u = 2^-24 of its result; taken as uniform and independent
 * from one addition to the next, its variance is u^2 / 3 times the result's square. Summed over the additions:
 * <ul>
 *   <li>where the terms are random, the squared partial sums of a chain add up to about k / 2 times the squares
 *       of its terms, and those of each level of the tree to about their sum again: (k / 2 + log2 L) T, with T
 *       the sum of the squared terms;
 *   <li>where they are alike within a block (a ramp, a constant, a slow wave), a chain's partial sums grow
 *       linearly, k / 3 times its squared sum, and the tree's up to 2L times the lanes' squared sums; the lanes'
 *       squared sums add up to a 1/L of the squared block sums, B, so (k / (3L) + 2) B.
 * </ul>
 * The variance is estimated as u^2 / 3 times the sum of both parts, which covers either kind and their mixtures
 * (for random terms B is about T). It is a statistical estimate, not a bound: data built so that roundings go the
 * same way while the lanes of each block cancel (a period of two elements) can exceed it. Immutable; thread-safe.
 */
final class ErrorModel {
    private static final double UNIT_ROUNDOFF_SQUARED_THIRD = 0x1p-48 / 3;

    private final double perSquaredTerm;
    private final double perSquaredBlockSum;

    /**
     * @param chain terms per lane and block (k)
     * @param lanes lanes added in the tree (L), a power of two
     */
    ErrorModel(int chain, int lanes) {
        this.perSquaredTerm = UNIT_ROUNDOFF_SQUARED_THIRD * (chain / 2.0 + Integer.numberOfTrailingZeros(lanes));
        this.perSquaredBlockSum = UNIT_ROUNDOFF_SQUARED_THIRD * (chain / (3.0 * lanes) + 2);
    }

    /**
     * @param squaredTerms     T, the sum of the squared terms (or an estimate of it)
     * @param squaredBlockSums B, the sum of the squared block sums
     * @return the estimated variance of the sum's rounding error
     */
    double variance(double squaredTerms, double squaredBlockSums) {
        return perSquaredTerm * squaredTerms + perSquaredBlockSum * squaredBlockSums;
    }
}
