package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.DoubleLanes.D;
import static dev.ingot.ops.norm.kernel.DoubleLanes.F;
import static dev.ingot.ops.norm.kernel.DoubleLanes.F32;
import static dev.ingot.ops.norm.kernel.DoubleLanes.LANES;
import static dev.ingot.ops.norm.kernel.DoubleLanes.ORDER;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Run kernels on the Vector API in double lanes: floats are loaded half a vector at a time and widened, so every
 * sum and product is the scalar kernels' double arithmetic, lane by lane; lane sums are added in lane order (not
 * {@code reduceLanes}, whose order may differ between interpreted and compiled code), then the scalar tail. Writes
 * round once to float. As in {@link VectorPlaneKernels}, no vector crosses a method call, so nothing is allocated
 * wherever C2 stops inlining. Only {@link VectorKernelSet} loads this class.
 */
final class VectorRunKernels implements RunKernels {
    /** Throws when the platform has no usable vector shape. */
    VectorRunKernels() {
        DoubleLanes.requireUsable();
    }

    private static long vectorEnd(long count) {
        return count - count % LANES;
    }

    /*
     * The fast kernels, in float lanes of the preferred species. Sums run over blocks of at most BLOCK elements, so
     * each lane adds at most TERMS_PER_LANE terms; a block's lanes are added in a fixed tree (lane i with lane i ^ 8,
     * then i ^ 4, ...: not reduceLanes, whose order differs between the interpreter and compiled code), widened to
     * double and added in block order. Squares and products fuse into the additions where FMA is one instruction.
     * The scalar tail is added in double.
     */
    private static final VectorSpecies<Float> FL = FloatVector.SPECIES_PREFERRED;
    private static final int FL_LANES = FL.length();
    private static final int TERMS_PER_LANE = 16;
    private static final int BLOCK = TERMS_PER_LANE * FL_LANES;
    private static final boolean FMA = FusedMultiplyAdd.ENABLED;
    private static final VectorShuffle<Float> SWAP_8 = swap(8);
    private static final VectorShuffle<Float> SWAP_4 = swap(4);
    private static final VectorShuffle<Float> SWAP_2 = swap(2);
    private static final VectorShuffle<Float> SWAP_1 = swap(1);

    private static VectorShuffle<Float> swap(int step) {
        return step < FL_LANES ? VectorShuffle.fromOp(FL, i -> i ^ step) : null;
    }

    @Override
    public boolean sumsInFloat() {
        return true;
    }

    @Override
    public void fastSums(MemorySegment x, long offset, long count, float shift, double[] acc, int at) {
        final FloatVector vShift = FloatVector.broadcast(FL, shift);
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        double s = 0;
        double q = 0;
        int j = 0;
        while (n - j >= FL_LANES) {
            FloatVector s0 = FloatVector.zero(FL);
            FloatVector q0 = FloatVector.zero(FL);
            FloatVector s1 = FloatVector.zero(FL);
            FloatVector q1 = FloatVector.zero(FL);
            final int blockEnd = j + Math.min(BLOCK, (n - j) & -FL_LANES);
            for (; j <= blockEnd - 2 * FL_LANES; j += 2 * FL_LANES) {
                FloatVector d0 = FloatVector.fromMemorySegment(FL, x, base + (long) j * Float.BYTES, ORDER).sub(vShift);
                FloatVector d1 = FloatVector.fromMemorySegment(FL, x, base + (long) (j + FL_LANES) * Float.BYTES, ORDER)
                        .sub(vShift);
                s0 = s0.add(d0);
                q0 = FMA ? d0.fma(d0, q0) : q0.add(d0.mul(d0));
                s1 = s1.add(d1);
                q1 = FMA ? d1.fma(d1, q1) : q1.add(d1.mul(d1));
            }
            if (j < blockEnd) {
                FloatVector d0 = FloatVector.fromMemorySegment(FL, x, base + (long) j * Float.BYTES, ORDER).sub(vShift);
                s0 = s0.add(d0);
                q0 = FMA ? d0.fma(d0, q0) : q0.add(d0.mul(d0));
                j += FL_LANES;
            }
            FloatVector sv = s0.add(s1);
            sv = FL_LANES >= 16 ? sv.add(sv.rearrange(SWAP_8)) : sv;
            sv = FL_LANES >= 8 ? sv.add(sv.rearrange(SWAP_4)) : sv;
            sv = sv.add(sv.rearrange(SWAP_2));
            s += sv.add(sv.rearrange(SWAP_1)).lane(0);
            FloatVector qv = q0.add(q1);
            qv = FL_LANES >= 16 ? qv.add(qv.rearrange(SWAP_8)) : qv;
            qv = FL_LANES >= 8 ? qv.add(qv.rearrange(SWAP_4)) : qv;
            qv = qv.add(qv.rearrange(SWAP_2));
            q += qv.add(qv.rearrange(SWAP_1)).lane(0);
        }
        for (; j < n; j++) {
            double d = (double) x.get(F32, base + (long) j * Float.BYTES) - shift;
            s += d;
            q += d * d;
        }
        acc[at] += s;
        acc[at + 1] += q;
    }

    @Override
    public void fastGradSums(MemorySegment x, MemorySegment dy, long offset, long count, float shift, float[] gamma,
                             int gammaAt, double[] acc, int at) {
        final FloatVector vShift = FloatVector.broadcast(FL, shift);
        final boolean perElement = gamma != null;
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        double s = 0;
        double q = 0;
        double sg = 0;
        double sgd = 0;
        double sgg = 0;
        int j = 0;
        while (n - j >= FL_LANES) {
            FloatVector sv = FloatVector.zero(FL);
            FloatVector qv = FloatVector.zero(FL);
            FloatVector gv = FloatVector.zero(FL);
            FloatVector pv = FloatVector.zero(FL);
            FloatVector ggv = FloatVector.zero(FL);
            final int blockEnd = j + Math.min(BLOCK, (n - j) & -FL_LANES);
            if (perElement) {
                for (; j < blockEnd; j += FL_LANES) {
                    long byteAt = base + (long) j * Float.BYTES;
                    FloatVector d = FloatVector.fromMemorySegment(FL, x, byteAt, ORDER).sub(vShift);
                    FloatVector e = FloatVector.fromMemorySegment(FL, dy, byteAt, ORDER)
                            .mul(FloatVector.fromArray(FL, gamma, gammaAt + j));
                    sv = sv.add(d);
                    qv = FMA ? d.fma(d, qv) : qv.add(d.mul(d));
                    gv = gv.add(e);
                    pv = FMA ? e.fma(d, pv) : pv.add(e.mul(d));
                    ggv = FMA ? e.fma(e, ggv) : ggv.add(e.mul(e));
                }
            } else {
                for (; j < blockEnd; j += FL_LANES) {
                    long byteAt = base + (long) j * Float.BYTES;
                    FloatVector d = FloatVector.fromMemorySegment(FL, x, byteAt, ORDER).sub(vShift);
                    FloatVector e = FloatVector.fromMemorySegment(FL, dy, byteAt, ORDER);
                    sv = sv.add(d);
                    qv = FMA ? d.fma(d, qv) : qv.add(d.mul(d));
                    gv = gv.add(e);
                    pv = FMA ? e.fma(d, pv) : pv.add(e.mul(d));
                    ggv = FMA ? e.fma(e, ggv) : ggv.add(e.mul(e));
                }
            }
            sv = FL_LANES >= 16 ? sv.add(sv.rearrange(SWAP_8)) : sv;
            sv = FL_LANES >= 8 ? sv.add(sv.rearrange(SWAP_4)) : sv;
            sv = sv.add(sv.rearrange(SWAP_2));
            s += sv.add(sv.rearrange(SWAP_1)).lane(0);
            qv = FL_LANES >= 16 ? qv.add(qv.rearrange(SWAP_8)) : qv;
            qv = FL_LANES >= 8 ? qv.add(qv.rearrange(SWAP_4)) : qv;
            qv = qv.add(qv.rearrange(SWAP_2));
            q += qv.add(qv.rearrange(SWAP_1)).lane(0);
            gv = FL_LANES >= 16 ? gv.add(gv.rearrange(SWAP_8)) : gv;
            gv = FL_LANES >= 8 ? gv.add(gv.rearrange(SWAP_4)) : gv;
            gv = gv.add(gv.rearrange(SWAP_2));
            sg += gv.add(gv.rearrange(SWAP_1)).lane(0);
            pv = FL_LANES >= 16 ? pv.add(pv.rearrange(SWAP_8)) : pv;
            pv = FL_LANES >= 8 ? pv.add(pv.rearrange(SWAP_4)) : pv;
            pv = pv.add(pv.rearrange(SWAP_2));
            sgd += pv.add(pv.rearrange(SWAP_1)).lane(0);
            ggv = FL_LANES >= 16 ? ggv.add(ggv.rearrange(SWAP_8)) : ggv;
            ggv = FL_LANES >= 8 ? ggv.add(ggv.rearrange(SWAP_4)) : ggv;
            ggv = ggv.add(ggv.rearrange(SWAP_2));
            sgg += ggv.add(ggv.rearrange(SWAP_1)).lane(0);
        }
        for (; j < n; j++) {
            long byteAt = base + (long) j * Float.BYTES;
            double d = (double) x.get(F32, byteAt) - shift;
            double g = (double) dy.get(F32, byteAt) * (perElement ? gamma[gammaAt + j] : 1.0f);
            s += d;
            q += d * d;
            sg += g;
            sgd += g * d;
            sgg += g * g;
        }
        acc[at] += s;
        acc[at + 1] += q;
        acc[at + 2] += sg;
        acc[at + 3] += sgd;
        acc[at + 4] += sgg;
    }

    /** Double lanes of the float vectors' bit size: a float vector widens into two of them. */
    private static final VectorSpecies<Double> WIDE = VectorSpecies.of(double.class, FL.vectorShape());

    @Override
    public void addAndClear(float[] from, double[] to, int at, int count) {
        final FloatVector zero = FloatVector.zero(FL);
        final int half = FL_LANES / 2;
        int i = at;
        final int end = at + count;
        for (; i <= end - FL_LANES; i += FL_LANES) {
            FloatVector f = FloatVector.fromArray(FL, from, i);
            DoubleVector lo = (DoubleVector) f.convertShape(VectorOperators.F2D, WIDE, 0);
            DoubleVector hi = (DoubleVector) f.convertShape(VectorOperators.F2D, WIDE, 1);
            DoubleVector.fromArray(WIDE, to, i).add(lo).intoArray(to, i);
            DoubleVector.fromArray(WIDE, to, i + half).add(hi).intoArray(to, i + half);
            zero.intoArray(from, i);
        }
        for (; i < end; i++) {
            to[i] += from[i];
            from[i] = 0f;
        }
    }

    @Override
    public int lanesPerSum() {
        return FL_LANES;
    }

    @Override
    public void fastSumsInto(MemorySegment x, long offset, long count, float shift, float[] lanes, int laneAt,
                             double[] acc, int at) {
        final FloatVector vShift = FloatVector.broadcast(FL, shift);
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        FloatVector sv = FloatVector.fromArray(FL, lanes, laneAt);
        FloatVector qv = FloatVector.fromArray(FL, lanes, laneAt + FL_LANES);
        int j = 0;
        for (; j <= n - FL_LANES; j += FL_LANES) {
            FloatVector d = FloatVector.fromMemorySegment(FL, x, base + (long) j * Float.BYTES, ORDER).sub(vShift);
            sv = sv.add(d);
            qv = FMA ? d.fma(d, qv) : qv.add(d.mul(d));
        }
        sv.intoArray(lanes, laneAt);
        qv.intoArray(lanes, laneAt + FL_LANES);
        double s = 0;
        double q = 0;
        for (; j < n; j++) {
            double d = (double) x.get(F32, base + (long) j * Float.BYTES) - shift;
            s += d;
            q += d * d;
        }
        acc[at] += s;
        acc[at + 1] += q;
    }

    @Override
    public void fastGradSumsInto(MemorySegment x, MemorySegment dy, long offset, long count, float shift,
                                 float[] lanes, int laneAt, double[] acc, int at) {
        final FloatVector vShift = FloatVector.broadcast(FL, shift);
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        FloatVector sv = FloatVector.fromArray(FL, lanes, laneAt);
        FloatVector qv = FloatVector.fromArray(FL, lanes, laneAt + FL_LANES);
        FloatVector gv = FloatVector.fromArray(FL, lanes, laneAt + 2 * FL_LANES);
        FloatVector pv = FloatVector.fromArray(FL, lanes, laneAt + 3 * FL_LANES);
        FloatVector ggv = FloatVector.fromArray(FL, lanes, laneAt + 4 * FL_LANES);
        int j = 0;
        for (; j <= n - FL_LANES; j += FL_LANES) {
            long byteAt = base + (long) j * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(FL, x, byteAt, ORDER).sub(vShift);
            FloatVector e = FloatVector.fromMemorySegment(FL, dy, byteAt, ORDER);
            sv = sv.add(d);
            qv = FMA ? d.fma(d, qv) : qv.add(d.mul(d));
            gv = gv.add(e);
            pv = FMA ? e.fma(d, pv) : pv.add(e.mul(d));
            ggv = FMA ? e.fma(e, ggv) : ggv.add(e.mul(e));
        }
        sv.intoArray(lanes, laneAt);
        qv.intoArray(lanes, laneAt + FL_LANES);
        gv.intoArray(lanes, laneAt + 2 * FL_LANES);
        pv.intoArray(lanes, laneAt + 3 * FL_LANES);
        ggv.intoArray(lanes, laneAt + 4 * FL_LANES);
        double s = 0;
        double q = 0;
        double sg = 0;
        double sgd = 0;
        double sgg = 0;
        for (; j < n; j++) {
            long byteAt = base + (long) j * Float.BYTES;
            double d = (double) x.get(F32, byteAt) - shift;
            double g = dy.get(F32, byteAt);
            s += d;
            q += d * d;
            sg += g;
            sgd += g * d;
            sgg += g * g;
        }
        acc[at] += s;
        acc[at + 1] += q;
        acc[at + 2] += sg;
        acc[at + 3] += sgd;
        acc[at + 4] += sgg;
    }

    @Override
    public void flushLanes(float[] lanes, int laneAt, int sums, double[] acc, int at) {
        for (int i = 0; i < sums; i++) {
            int from = laneAt + i * FL_LANES;
            FloatVector v = FloatVector.fromArray(FL, lanes, from);
            v = FL_LANES >= 16 ? v.add(v.rearrange(SWAP_8)) : v;
            v = FL_LANES >= 8 ? v.add(v.rearrange(SWAP_4)) : v;
            v = v.add(v.rearrange(SWAP_2));
            acc[at + i] += v.add(v.rearrange(SWAP_1)).lane(0);
            FloatVector.zero(FL).intoArray(lanes, from);
        }
    }

    @Override
    public void fastNormalize(MemorySegment x, MemorySegment y, long offset, long count, float mean, float invstd,
                              float corr, float[] gamma, float[] beta, int p) {
        final FloatVector vMean = FloatVector.broadcast(FL, mean);
        final FloatVector vInv = FloatVector.broadcast(FL, invstd);
        final FloatVector vCorr = FloatVector.broadcast(FL, corr);
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        int j = 0;
        for (; j <= n - FL_LANES; j += FL_LANES) {
            long byteAt = base + (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(FL, x, byteAt, ORDER).sub(vMean).mul(vInv).sub(vCorr)
                    .mul(FloatVector.fromArray(FL, gamma, p + j)).add(FloatVector.fromArray(FL, beta, p + j))
                    .intoMemorySegment(y, byteAt, ORDER);
        }
        for (; j < n; j++) {
            long byteAt = base + (long) j * Float.BYTES;
            float t = (x.get(F32, byteAt) - mean) * invstd - corr;
            y.set(F32, byteAt, t * gamma[p + j] + beta[p + j]);
        }
    }

    @Override
    public void fastNormalizeRun(MemorySegment x, MemorySegment y, long offset, long count, float mean,
                                 float invstd, float corr, float gamma, float beta) {
        final FloatVector vMean = FloatVector.broadcast(FL, mean);
        final FloatVector vInv = FloatVector.broadcast(FL, invstd);
        final FloatVector vCorr = FloatVector.broadcast(FL, corr);
        final FloatVector vGamma = FloatVector.broadcast(FL, gamma);
        final FloatVector vBeta = FloatVector.broadcast(FL, beta);
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        int j = 0;
        for (; j <= n - FL_LANES; j += FL_LANES) {
            long byteAt = base + (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(FL, x, byteAt, ORDER).sub(vMean).mul(vInv).sub(vCorr)
                    .mul(vGamma).add(vBeta).intoMemorySegment(y, byteAt, ORDER);
        }
        for (; j < n; j++) {
            long byteAt = base + (long) j * Float.BYTES;
            float t = (x.get(F32, byteAt) - mean) * invstd - corr;
            y.set(F32, byteAt, t * gamma + beta);
        }
    }

    @Override
    public void fastGradInputRun(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                                 float mean, float invstd, float corr, float meanG, float meanGxhat, float gamma) {
        final FloatVector vMean = FloatVector.broadcast(FL, mean);
        final FloatVector vInv = FloatVector.broadcast(FL, invstd);
        final FloatVector vCorr = FloatVector.broadcast(FL, corr);
        final FloatVector vMeanG = FloatVector.broadcast(FL, meanG);
        final FloatVector vMgx = FloatVector.broadcast(FL, meanGxhat);
        final FloatVector vGamma = FloatVector.broadcast(FL, gamma);
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        int j = 0;
        for (; j <= n - FL_LANES; j += FL_LANES) {
            long byteAt = base + (long) j * Float.BYTES;
            FloatVector xhat = FloatVector.fromMemorySegment(FL, x, byteAt, ORDER).sub(vMean).mul(vInv).sub(vCorr);
            FloatVector g = FloatVector.fromMemorySegment(FL, dy, byteAt, ORDER).mul(vGamma);
            g.sub(xhat.mul(vMgx).add(vMeanG)).mul(vInv).intoMemorySegment(dx, byteAt, ORDER);
        }
        for (; j < n; j++) {
            long byteAt = base + (long) j * Float.BYTES;
            float xhat = (x.get(F32, byteAt) - mean) * invstd - corr;
            float g = dy.get(F32, byteAt) * gamma;
            dx.set(F32, byteAt, (g - (xhat * meanGxhat + meanG)) * invstd);
        }
    }

    @Override
    public void fastGradInput(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                              float mean, float invstd, float corr, float meanG, float meanGxhat, float[] gamma,
                              int p, float[] dgamma, float[] dbeta, int at) {
        final FloatVector vMean = FloatVector.broadcast(FL, mean);
        final FloatVector vInv = FloatVector.broadcast(FL, invstd);
        final FloatVector vCorr = FloatVector.broadcast(FL, corr);
        final FloatVector vMeanG = FloatVector.broadcast(FL, meanG);
        final FloatVector vMgx = FloatVector.broadcast(FL, meanGxhat);
        final long base = offset * Float.BYTES;
        final int n = (int) count;
        int j = 0;
        for (; j <= n - FL_LANES; j += FL_LANES) {
            long byteAt = base + (long) j * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(FL, dy, byteAt, ORDER);
            FloatVector xhat = FloatVector.fromMemorySegment(FL, x, byteAt, ORDER).sub(vMean).mul(vInv).sub(vCorr);
            FloatVector.fromArray(FL, dgamma, at + j).add(d.mul(xhat)).intoArray(dgamma, at + j);
            FloatVector.fromArray(FL, dbeta, at + j).add(d).intoArray(dbeta, at + j);
            d.mul(FloatVector.fromArray(FL, gamma, p + j)).sub(xhat.mul(vMgx).add(vMeanG)).mul(vInv)
                    .intoMemorySegment(dx, byteAt, ORDER);
        }
        for (; j < n; j++) {
            long byteAt = base + (long) j * Float.BYTES;
            float d = dy.get(F32, byteAt);
            float xhat = (x.get(F32, byteAt) - mean) * invstd - corr;
            dgamma[at + j] += d * xhat;
            dbeta[at + j] += d;
            dx.set(F32, byteAt, (d * gamma[p + j] - (xhat * meanGxhat + meanG)) * invstd);
        }
    }

    @Override
    public void sums(MemorySegment x, long offset, long count, double shift, double[] acc, int at) {
        DoubleVector s = DoubleVector.zero(D);
        DoubleVector sq = DoubleVector.zero(D);
        long end = vectorEnd(count);
        for (long j = 0; j < end; j += LANES) {
            DoubleVector d = ((DoubleVector) FloatVector.fromMemorySegment(F, x, (offset + j) * Float.BYTES, ORDER)
                    .castShape(D, 0)).sub(shift);
            s = s.add(d);
            sq = sq.add(d.mul(d));
        }
        double sum = 0;
        double sumSq = 0;
        for (int l = 0; l < LANES; l++) {
            sum += s.lane(l);
            sumSq += sq.lane(l);
        }
        for (long j = end; j < count; j++) {
            double d = x.getAtIndex(F32, offset + j) - shift;
            sum += d;
            sumSq += d * d;
        }
        acc[at] += sum;
        acc[at + 1] += sumSq;
    }

    @Override
    public double sumSquares(MemorySegment x, long offset, long count) {
        DoubleVector sq = DoubleVector.zero(D);
        long end = vectorEnd(count);
        for (long j = 0; j < end; j += LANES) {
            DoubleVector v = (DoubleVector) FloatVector.fromMemorySegment(F, x, (offset + j) * Float.BYTES, ORDER)
                    .castShape(D, 0);
            sq = sq.add(v.mul(v));
        }
        double sumSq = 0;
        for (int l = 0; l < LANES; l++) {
            sumSq += sq.lane(l);
        }
        for (long j = end; j < count; j++) {
            double v = x.getAtIndex(F32, offset + j);
            sumSq += v * v;
        }
        return sumSq;
    }

    @Override
    public void gradSums(MemorySegment x, MemorySegment dy, long offset, long count, double shift,
                         MemorySegment gamma, long gammaOffset, double[] acc, int at) {
        DoubleVector s = DoubleVector.zero(D);
        DoubleVector sq = DoubleVector.zero(D);
        DoubleVector sg = DoubleVector.zero(D);
        DoubleVector sgd = DoubleVector.zero(D);
        long end = vectorEnd(count);
        for (long j = 0; j < end; j += LANES) {
            DoubleVector d = ((DoubleVector) FloatVector.fromMemorySegment(F, x, (offset + j) * Float.BYTES, ORDER)
                    .castShape(D, 0)).sub(shift);
            DoubleVector g = (DoubleVector) FloatVector.fromMemorySegment(F, dy, (offset + j) * Float.BYTES, ORDER)
                    .castShape(D, 0);
            if (gamma != null) {
                g = g.mul((DoubleVector) FloatVector.fromMemorySegment(F, gamma, (gammaOffset + j) * Float.BYTES,
                        ORDER).castShape(D, 0));
            }
            s = s.add(d);
            sq = sq.add(d.mul(d));
            sg = sg.add(g);
            sgd = sgd.add(g.mul(d));
        }
        double sum = 0;
        double sumSq = 0;
        double sumG = 0;
        double sumGd = 0;
        for (int l = 0; l < LANES; l++) {
            sum += s.lane(l);
            sumSq += sq.lane(l);
            sumG += sg.lane(l);
            sumGd += sgd.lane(l);
        }
        for (long j = end; j < count; j++) {
            double d = x.getAtIndex(F32, offset + j) - shift;
            double g = dy.getAtIndex(F32, offset + j) * (gamma == null ? 1.0 : gamma.getAtIndex(F32, gammaOffset + j));
            sum += d;
            sumSq += d * d;
            sumG += g;
            sumGd += g * d;
        }
        acc[at] += sum;
        acc[at + 1] += sumSq;
        acc[at + 2] += sumG;
        acc[at + 3] += sumGd;
    }

    @Override
    public void normalize(MemorySegment x, MemorySegment y, long offset, long count, double mean, double scale,
                          double bias) {
        long end = vectorEnd(count);
        for (long j = 0; j < end; j += LANES) {
            long byteAt = (offset + j) * Float.BYTES;
            DoubleVector v = ((DoubleVector) FloatVector.fromMemorySegment(F, x, byteAt, ORDER).castShape(D, 0))
                    .sub(mean).mul(scale).add(bias);
            ((FloatVector) v.castShape(F, 0)).intoMemorySegment(y, byteAt, ORDER);
        }
        for (long j = end; j < count; j++) {
            y.setAtIndex(F32, offset + j, (float) ((x.getAtIndex(F32, offset + j) - mean) * scale + bias));
        }
    }

    @Override
    public void normalizeEach(MemorySegment x, MemorySegment y, long offset, long count, double mean,
                              double invstd, MemorySegment gamma, MemorySegment beta, long paramOffset) {
        long end = vectorEnd(count);
        for (long j = 0; j < end; j += LANES) {
            long byteAt = (offset + j) * Float.BYTES;
            long paramAt = (paramOffset + j) * Float.BYTES;
            DoubleVector v = ((DoubleVector) FloatVector.fromMemorySegment(F, x, byteAt, ORDER).castShape(D, 0))
                    .sub(mean).mul(invstd);
            if (gamma != null) {
                v = v.mul((DoubleVector) FloatVector.fromMemorySegment(F, gamma, paramAt, ORDER).castShape(D, 0));
            }
            if (beta != null) {
                v = v.add((DoubleVector) FloatVector.fromMemorySegment(F, beta, paramAt, ORDER).castShape(D, 0));
            }
            ((FloatVector) v.castShape(F, 0)).intoMemorySegment(y, byteAt, ORDER);
        }
        for (long j = end; j < count; j++) {
            double v = (x.getAtIndex(F32, offset + j) - mean) * invstd
                    * (gamma == null ? 1.0 : gamma.getAtIndex(F32, paramOffset + j))
                    + (beta == null ? 0.0 : beta.getAtIndex(F32, paramOffset + j));
            y.setAtIndex(F32, offset + j, (float) v);
        }
    }

    @Override
    public void gradInput(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                          double mean, double invstd, double gamma, double meanG, double meanGxhat) {
        long end = vectorEnd(count);
        for (long j = 0; j < end; j += LANES) {
            long byteAt = (offset + j) * Float.BYTES;
            DoubleVector xhat = ((DoubleVector) FloatVector.fromMemorySegment(F, x, byteAt, ORDER).castShape(D, 0))
                    .sub(mean).mul(invstd);
            DoubleVector g = ((DoubleVector) FloatVector.fromMemorySegment(F, dy, byteAt, ORDER).castShape(D, 0))
                    .mul(gamma);
            DoubleVector v = g.sub(meanG).sub(xhat.mul(meanGxhat)).mul(invstd);
            ((FloatVector) v.castShape(F, 0)).intoMemorySegment(dx, byteAt, ORDER);
        }
        for (long j = end; j < count; j++) {
            double xhat = (x.getAtIndex(F32, offset + j) - mean) * invstd;
            double g = dy.getAtIndex(F32, offset + j) * gamma;
            dx.setAtIndex(F32, offset + j, (float) (invstd * (g - meanG - xhat * meanGxhat)));
        }
    }

    @Override
    public void gradInputEach(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                              double mean, double invstd, MemorySegment gamma, long paramOffset, double meanG,
                              double meanGxhat, double[] dgamma, double[] dbeta, int at) {
        long end = vectorEnd(count);
        for (long j = 0; j < end; j += LANES) {
            long byteAt = (offset + j) * Float.BYTES;
            int p = at + (int) j;
            DoubleVector d = (DoubleVector) FloatVector.fromMemorySegment(F, dy, byteAt, ORDER).castShape(D, 0);
            DoubleVector xhat = ((DoubleVector) FloatVector.fromMemorySegment(F, x, byteAt, ORDER).castShape(D, 0))
                    .sub(mean).mul(invstd);
            DoubleVector.fromArray(D, dgamma, p).add(d.mul(xhat)).intoArray(dgamma, p);
            DoubleVector.fromArray(D, dbeta, p).add(d).intoArray(dbeta, p);
            DoubleVector g = gamma == null ? d : d.mul((DoubleVector) FloatVector.fromMemorySegment(F, gamma,
                    (paramOffset + j) * Float.BYTES, ORDER).castShape(D, 0));
            DoubleVector v = g.sub(meanG).sub(xhat.mul(meanGxhat)).mul(invstd);
            ((FloatVector) v.castShape(F, 0)).intoMemorySegment(dx, byteAt, ORDER);
        }
        for (long j = end; j < count; j++) {
            double d = dy.getAtIndex(F32, offset + j);
            double xhat = (x.getAtIndex(F32, offset + j) - mean) * invstd;
            dgamma[at + (int) j] += d * xhat;
            dbeta[at + (int) j] += d;
            double g = d * (gamma == null ? 1.0 : gamma.getAtIndex(F32, paramOffset + j));
            dx.setAtIndex(F32, offset + j, (float) (invstd * (g - meanG - xhat * meanGxhat)));
        }
    }
}
