package dev.ingot.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** Small elementwise ops for backend and pipeline tests. */
final class TestOps {

    private TestOps() {
    }

    /** out = in + constant, float32 of any shape; optionally uses a scratch buffer of the same size. */
    static final class AddConstant implements Execution {
        private final CpuBackend backend;
        private final float constant;
        private final boolean useScratch;
        private Tensor scratch;
        long scratchAddress;
        long inputAddress;
        long outputAddress;

        AddConstant(CpuBackend backend, float constant, boolean useScratch) {
            this.backend = backend;
            this.constant = constant;
            this.useScratch = useScratch;
        }

        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            if (inputs.size() != 1 || inputs.get(0).dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException("op AddConstant: expected one float32 input, got " + inputs);
            }
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
            if (useScratch) {
                if (scratch == null) {
                    scratch = backend.newTensor(inputs.get(0).type());
                } else {
                    scratch.retype(inputs.get(0).type());
                }
                backend.acquire(scratch, StorageType.DYNAMIC);
                backend.release(scratch, StorageType.DYNAMIC);
            }
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            MemorySegment in = inputs.get(0).segment();
            MemorySegment out = outputs.get(0).segment();
            inputAddress = in.address();
            outputAddress = out.address();
            long n = inputs.get(0).elementCount();
            if (useScratch) {
                MemorySegment tmp = scratch.segment();
                scratchAddress = tmp.address();
                for (long i = 0; i < n; i++) {
                    tmp.setAtIndex(ValueLayout.JAVA_FLOAT, i, in.getAtIndex(ValueLayout.JAVA_FLOAT, i) + constant);
                }
                MemorySegment.copy(tmp, 0, out, 0, n * 4);
            } else {
                for (long i = 0; i < n; i++) {
                    out.setAtIndex(ValueLayout.JAVA_FLOAT, i, in.getAtIndex(ValueLayout.JAVA_FLOAT, i) + constant);
                }
            }
        }
    }

    /** out = a + b (same shapes), float32; refuses different shapes naming the op and the expected shape. */
    static final class Add implements Execution {
        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            if (inputs.size() != 2) {
                throw new IllegalArgumentException("op Add: expected 2 inputs, got " + inputs.size());
            }
            if (!inputs.get(1).equals(inputs.get(0))) {
                throw new IllegalArgumentException("op Add: input 1 expected shape " + inputs.get(0).shape()
                        + ", got " + inputs.get(1).shape());
            }
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            MemorySegment a = inputs.get(0).segment();
            MemorySegment b = inputs.get(1).segment();
            MemorySegment out = outputs.get(0).segment();
            long n = inputs.get(0).elementCount();
            for (long i = 0; i < n; i++) {
                out.setAtIndex(ValueLayout.JAVA_FLOAT, i,
                        a.getAtIndex(ValueLayout.JAVA_FLOAT, i) + b.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        }
    }

    /** In-place w -= lr * g: outputs are the parameters themselves. */
    static final class SgdStep implements Execution {
        private final float learningRate;

        SgdStep(float learningRate) {
            this.learningRate = learningRate;
        }

        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            MemorySegment g = inputs.get(1).segment();
            MemorySegment w = outputs.get(0).segment();
            long n = outputs.get(0).elementCount();
            for (long i = 0; i < n; i++) {
                w.setAtIndex(ValueLayout.JAVA_FLOAT, i,
                        w.getAtIndex(ValueLayout.JAVA_FLOAT, i) - learningRate * g.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        }
    }

    /** Needs a rank-2 input; anything else is refused. */
    static final class Rank2Only implements Execution {
        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            if (inputs.get(0).shape().rank() != 2) {
                throw new IllegalArgumentException("op Rank2Only: input 0 expected shape [N, C], got "
                        + inputs.get(0).shape());
            }
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            MemorySegment.copy(inputs.get(0).segment(), 0, outputs.get(0).segment(), 0, inputs.get(0).byteSize());
        }
    }

    /** Creator for AddConstant, attribute "c". */
    static final class AddConstantCreator implements OpCreator {
        @Override
        public String opType() {
            return "AddConstant";
        }

        @Override
        public Execution create(Attributes attributes, CpuBackend backend) {
            return new AddConstant(backend, attributes.getFloat("c", 0f), attributes.getBoolean("scratch", false));
        }
    }
}
