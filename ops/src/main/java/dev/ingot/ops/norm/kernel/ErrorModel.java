package dev.ingot.ops.norm.kernel;

/**
 * The rounding error of a sum that {@link VectorPlaneKernels} adds in float lanes: each lane adds a chain of k terms
 * per block in float, and the blocks' lane sums are widened and added in double lanes (whose rounding is
 * negligible), which are added together at the end.
 *
 * <p>Each float addition errs by up to a unit roundoff u = 2^-24 of its result; taken as uniform and independent
 * from one addition to the next, its variance is u^2 / 3 times the result's square. Along a chain the squared
 * partial sums add up to about k / 2 times the squares of its terms where they are random, and to k / 3 times the
 * chain's squared sum where they are alike (a ramp, a constant, a slow wave: the partial sums grow linearly). So
 * the variance is estimated as u^2 / 3 times k / 2 times the larger of T, the sum of the squared terms, and L, the
 * sum over the double lanes of their squared totals: for random terms L is about T, for alike ones about the
 * squared chain sums or more (a lane's total adds its chains of every block). It is a statistical estimate, not a
 * bound: data built so that roundings go the same way while a lane's chains cancel across blocks (periods that
 * divide two blocks) can exceed it. Immutable; thread-safe.
 */
final class ErrorModel {
    private final double perSquare;

    /** @param chain terms per lane and block (k) */
    ErrorModel(int chain) {
        this.perSquare = 0x1p-48 / 3 * chain / 2;
    }

    /**
     * @param squaredTerms    the sum of the squared terms, T (0 where it is not known: L stands for it)
     * @param squaredLaneSums the sum over the double lanes of their squared totals, L
     * @return the estimated variance of the sum's rounding error
     */
    double variance(double squaredTerms, double squaredLaneSums) {
        return perSquare * Math.max(squaredTerms, squaredLaneSums);
    }
}
