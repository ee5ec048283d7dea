package dev.ingot.bench;

import ai.djl.ndarray.NDManager;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** LibTorch's InstanceNorm through DJL against the float64 reference on random shapes of rank 3 to 5. */
class LibTorchInstanceNormPropertiesTest {

    @Property(tries = 40)
    void matchesFloat64OnRandomShapes(@ForAll @IntRange(min = 1, max = 4) int batch,
                                      @ForAll @IntRange(min = 1, max = 6) int channels,
                                      @ForAll @IntRange(min = 1, max = 3) int spatialRank,
                                      @ForAll @IntRange(min = 2, max = 9) int side,
                                      @ForAll long seed) {
        long[] shape = new long[2 + spatialRank];
        shape[0] = batch;
        shape[1] = channels;
        for (int d = 2; d < shape.length; d++) {
            shape[d] = side + d; // unequal sides catch a transposed view
        }
        InstanceNormCase c = InstanceNormCase.random(shape, seed);

        try (NDManager manager = LibTorchInstanceNorm.engine(1).newBaseManager()) {
            InstanceNormResults libTorch = LibTorchInstanceNorm.run(c, manager);

            libTorch.requireCloseTo(Float64InstanceNorm.run(c), LibTorchInstanceNormTest.FLOAT32_TOLERANCE);
        }
    }
}
