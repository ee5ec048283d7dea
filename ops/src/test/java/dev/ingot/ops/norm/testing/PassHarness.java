package dev.ingot.ops.norm.testing;

import dev.ingot.ops.norm.kernel.BackwardPass;
import dev.ingot.ops.norm.kernel.CacheSizes;
import dev.ingot.ops.norm.kernel.ForwardPass;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.ops.norm.kernel.Parallel;
import dev.ingot.ops.norm.kernel.KernelSet;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Runs the forward and backward passes on native copies of a {@link Problem}; results come back NCHW-ordered. */
public final class PassHarness {
    private PassHarness() {
    }

    /** Forward outputs, NCHW order. */
    public record Forward(float[] y, float[] mean, float[] invstd) {
    }

    /** Backward outputs; dgamma / dbeta are null when not requested. */
    public record Backward(float[] dx, float[] dgamma, float[] dbeta) {
    }

    /** How to run: layout, unit length (0 = default chunking), kernels, parallelism and the caches waves fit. */
    public record Config(boolean channelsLast, long unitLength, KernelSet kernels, Parallel parallel,
                         CacheSizes caches) {
        public Config(boolean channelsLast, long unitLength, KernelSet kernels, Parallel parallel) {
            this(channelsLast, unitLength, kernels, parallel, CacheSizes.MACHINE);
        }

        NormGeometry geometry(Problem p) {
            return unitLength == 0
                    ? NormGeometry.of(p.n(), p.c(), p.m(), channelsLast, NormGeometry.DEFAULT_CHUNK_ELEMENTS)
                    : new NormGeometry(p.n(), p.c(), p.m(), channelsLast, Math.min(unitLength, p.m()));
        }

        float[] layout(Problem p, float[] nchw) {
            return channelsLast ? Reference.toChannelsLast(nchw, p.n(), p.c(), p.m()) : nchw;
        }

        float[] unlayout(Problem p, float[] data) {
            return channelsLast ? Reference.fromChannelsLast(data, p.n(), p.c(), p.m()) : data;
        }
    }

    public static Forward forward(Problem p, Config cfg) {
        Arena arena = Arena.ofAuto();
        MemorySegment x = segment(arena, cfg.layout(p, p.x()));
        MemorySegment y = arena.allocate((long) p.x().length * Float.BYTES);
        MemorySegment mean = arena.allocate((long) p.n() * p.c() * Float.BYTES);
        MemorySegment invstd = arena.allocate((long) p.n() * p.c() * Float.BYTES);
        new ForwardPass(cfg.geometry(p), p.eps(), cfg.kernels(), cfg.caches())
                .run(x, segment(arena, p.gamma()), segment(arena, p.beta()), y, mean, invstd, cfg.parallel());
        return new Forward(cfg.unlayout(p, floats(y)), floats(mean), floats(invstd));
    }

    /**
     * Runs the backward pass. {@code saved} null recomputes the statistics; otherwise its mean and invstd are
     * passed in. {@code inPlace} writes dx over dy's memory.
     */
    public static Backward backward(Problem p, Config cfg, Forward saved, boolean dgamma, boolean dbeta,
                                    boolean inPlace) {
        Arena arena = Arena.ofAuto();
        MemorySegment x = segment(arena, cfg.layout(p, p.x()));
        MemorySegment dy = segment(arena, cfg.layout(p, p.dy()));
        MemorySegment dx = inPlace ? dy : arena.allocate((long) p.x().length * Float.BYTES);
        MemorySegment dg = dgamma ? arena.allocate((long) p.c() * Float.BYTES) : null;
        MemorySegment db = dbeta ? arena.allocate((long) p.c() * Float.BYTES) : null;
        new BackwardPass(cfg.geometry(p), p.eps(), cfg.kernels(), cfg.caches()).run(x, dy,
                saved == null ? null : segment(arena, saved.mean()),
                saved == null ? null : segment(arena, saved.invstd()),
                segment(arena, p.gamma()), dx, dg, db, cfg.parallel());
        return new Backward(cfg.unlayout(p, floats(dx)), dg == null ? null : floats(dg),
                db == null ? null : floats(db));
    }

    public static MemorySegment segment(Arena arena, float[] values) {
        if (values == null) {
            return null;
        }
        MemorySegment s = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }

    public static float[] floats(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_FLOAT);
    }
}
