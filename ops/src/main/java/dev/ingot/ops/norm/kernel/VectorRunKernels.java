package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.DoubleLanes.D;
import static dev.ingot.ops.norm.kernel.DoubleLanes.F;
import static dev.ingot.ops.norm.kernel.DoubleLanes.F32;
import static dev.ingot.ops.norm.kernel.DoubleLanes.LANES;
import static dev.ingot.ops.norm.kernel.DoubleLanes.ORDER;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

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
