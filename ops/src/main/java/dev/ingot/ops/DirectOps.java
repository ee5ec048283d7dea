package dev.ingot.ops;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.StorageType;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one registered op on tensors without building a pipeline: creates its execution, plans it and runs it once
 * on the backend's executor. For tools, tests and one-off calls; a pipeline is the way to run an op repeatedly.
 * Stateless and thread-safe (the backend's own rules apply to the tensors).
 */
public final class DirectOps {
    private DirectOps() {
    }

    /**
     * Runs {@code opType} and returns its outputs, newly allocated; the caller closes them.
     *
     * @param backend    the backend whose executor runs the op and whose memory holds the outputs
     * @param opType     a registered op type
     * @param attributes the node's attributes
     * @param inputs     the inputs, in the op's order
     * @return the outputs, in the op's order
     * @throws IllegalArgumentException for an unknown op type, bad attributes or bad inputs (nothing is left
     *                                  allocated)
     */
    public static List<Tensor> run(CpuBackend backend, String opType, Attributes attributes, List<Tensor> inputs) {
        Execution e = OpRegistry.standard().create(opType, attributes, backend);
        List<TensorType> types = new ArrayList<>(inputs.size());
        for (Tensor t : inputs) {
            types.add(t.type());
        }
        List<Tensor> outputs = new ArrayList<>();
        try {
            for (TensorType type : e.outputTypes(types)) {
                Tensor t = backend.newTensor(type);
                outputs.add(t);
                backend.acquire(t, StorageType.STATIC);
            }
            execute(backend, e, inputs, outputs);
        } catch (RuntimeException ex) {
            outputs.forEach(Tensor::close);
            throw ex;
        }
        return outputs;
    }

    /**
     * Runs {@code opType} into the given outputs (which may include an input, for ops that run in place).
     *
     * @param backend    the backend whose executor runs the op
     * @param opType     a registered op type
     * @param attributes the node's attributes
     * @param inputs     the inputs, in the op's order
     * @param outputs    the outputs, of the types the op declares
     * @throws IllegalArgumentException for an unknown op type, bad attributes, inputs or outputs
     */
    public static void runInto(CpuBackend backend, String opType, Attributes attributes, List<Tensor> inputs,
                               List<Tensor> outputs) {
        execute(backend, OpRegistry.standard().create(opType, attributes, backend), inputs, outputs);
    }

    private static void execute(CpuBackend backend, Execution e, List<Tensor> inputs, List<Tensor> outputs) {
        e.onResize(inputs, outputs);
        backend.onExecuteBegin();
        try {
            e.onExecute(inputs, outputs);
        } finally {
            backend.onExecuteEnd();
        }
    }
}
