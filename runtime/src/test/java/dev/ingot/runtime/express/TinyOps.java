package dev.ingot.runtime.express;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpCreator;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * Three tiny float32 ops, their rules and references, so the expression layer is tested without the ops module:
 * Scale(x; k) = k x, SumAll(x) = sum of x as [1], Spread(g, like) = g[0] everywhere in like's shape.
 */
final class TinyOps {
    private TinyOps() {
    }

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private abstract static class Simple implements Execution {
        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        }
    }

    static final class ScaleCreator implements OpCreator {
        @Override
        public String opType() {
            return "Scale";
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            float k = attributes.getFloat("k", 1);
            return new Simple() {
                @Override
                public List<TensorType> outputTypes(List<TensorType> inputs) {
                    return List.of(inputs.get(0));
                }

                @Override
                public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
                    MemorySegment in = inputs.get(0).segment();
                    MemorySegment out = outputs.get(0).segment();
                    for (long i = 0; i < inputs.get(0).elementCount(); i++) {
                        out.setAtIndex(F, i, k * in.getAtIndex(F, i));
                    }
                }
            };
        }
    }

    static final class SumAllCreator implements OpCreator {
        @Override
        public String opType() {
            return "SumAll";
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new Simple() {
                @Override
                public List<TensorType> outputTypes(List<TensorType> inputs) {
                    if (inputs.get(0).shape().rank() > 2) {
                        throw new IllegalArgumentException("SumAll: input x: expected rank <= 2, got "
                                + inputs.get(0).shape());
                    }
                    return List.of(TensorType.float32(1));
                }

                @Override
                public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
                    MemorySegment in = inputs.get(0).segment();
                    double sum = 0;
                    for (long i = 0; i < inputs.get(0).elementCount(); i++) {
                        sum += in.getAtIndex(F, i);
                    }
                    outputs.get(0).segment().setAtIndex(F, 0, (float) sum);
                }
            };
        }
    }

    static final class SpreadCreator implements OpCreator {
        @Override
        public String opType() {
            return "Spread";
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new Simple() {
                @Override
                public List<TensorType> outputTypes(List<TensorType> inputs) {
                    return List.of(inputs.get(1));
                }

                @Override
                public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
                    float g = inputs.get(0).segment().getAtIndex(F, 0);
                    outputs.get(0).segment().fill((byte) 0);
                    MemorySegment out = outputs.get(0).segment();
                    for (long i = 0; i < outputs.get(0).elementCount(); i++) {
                        out.setAtIndex(F, i, g);
                    }
                }
            };
        }
    }

    /** d(k x) = k g, or a deliberately wrong rule when {@code factorError} is not 1. */
    record ScaleGrad(float factorError) implements OpGrad {
        @Override
        public String opType() {
            return "Scale";
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            float k = node.attributes().getFloat("k", 1) * factorError;
            return List.of(node.graph().op("Scale", Attributes.of("k", k), outputGrads.get(0)));
        }
    }

    static final class SumAllGrad implements OpGrad {
        @Override
        public String opType() {
            return "SumAll";
        }

        @Override
        public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
            return List.of(node.graph().op("Spread", null, outputGrads.get(0), node.inputs().get(0)));
        }
    }

    static final class ScaleReference implements ReferenceOp {
        @Override
        public String opType() {
            return "Scale";
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            double k = a.getFloat("k", 1);
            return List.of(Arrays.stream(in.get(0)).map(v -> k * v).toArray());
        }
    }

    static final class SumAllReference implements ReferenceOp {
        @Override
        public String opType() {
            return "SumAll";
        }

        @Override
        public List<double[]> evaluate(Attributes a, List<TensorType> t, List<double[]> in, List<TensorType> o) {
            return List.of(new double[]{Arrays.stream(in.get(0)).sum()});
        }
    }
}
