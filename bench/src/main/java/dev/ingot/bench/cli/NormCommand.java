package dev.ingot.bench.cli;

import dev.ingot.ops.DirectOps;
import dev.ingot.ops.norm.BatchNorm;
import dev.ingot.ops.norm.GroupNorm;
import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.ops.norm.LayerNorm;
import dev.ingot.ops.norm.RmsNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ingot norm} (alias {@code instance-norm}): runs a normalization op (and with {@code --dy} its gradient)
 * on {@code .npy} files and writes the results as float32 {@code .npy} files, all or nothing.
 */
@Command(name = "norm", aliases = "instance-norm", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs InstanceNorm, GroupNorm, LayerNorm, BatchNorm or RMSNorm on .npy files: y and the op's statistics;"
                    + " with --dy also dx, dgamma and dbeta.",
            "Inputs are float32 or float64 .npy files in C order; float32 files in native byte order are mapped,"
                    + " not copied. Outputs are float32. On any error (out of memory included) nothing in DIR"
                    + " changes and the exit code is 2. 'instance-norm' is an alias (its --kind defaults to"
                    + " instance)."
        })
final class NormCommand implements Callable<Integer> {

    /** The op families this command runs. */
    enum Kind {
        INSTANCE, GROUP, LAYER, BATCH, RMS
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--kind", paramLabel = "K", defaultValue = "instance",
            description = "instance, group, layer, batch or rms (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--x", required = true, paramLabel = "X.npy",
            description = "Input: [N, C, *] (instance: rank 3 to 5; group, batch: rank 2 to 5); layer, rms: any rank.")
    Path x;

    @Option(names = "--dy", paramLabel = "DY.npy",
            description = "Upstream gradient dL/dy, shaped like x. When given, dx (and dgamma, dbeta) are written.")
    Path dy;

    @Option(names = "--gamma", paramLabel = "G.npy",
            description = "Scale: [C], or the normalized shape for layer and rms (default: 1).")
    Path gamma;

    @Option(names = "--beta", paramLabel = "B.npy", description = "Shift, shaped like gamma (default: 0; not rms).")
    Path beta;

    @Option(names = "--groups", paramLabel = "G", description = "group: the number of groups, dividing C.")
    Integer groups;

    @Option(names = "--normalized-dims", paramLabel = "K",
            description = "layer, rms: how many trailing dimensions are normalized together (default: 1).")
    Integer normalizedDims;

    @Option(names = "--training", description = "batch: batch statistics (default: the running statistics).")
    boolean training;

    @Option(names = "--running-mean", paramLabel = "M.npy", description = "batch: running mean [C].")
    Path runningMean;

    @Option(names = "--running-var", paramLabel = "V.npy", description = "batch: running variance [C].")
    Path runningVar;

    @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.1",
            description = "batch --training: weight of the batch statistics in the running ones (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--eps", paramLabel = "E",
            description = "Added to the variance; finite and > 0 (default: 1e-5; rms: 2^-23, PyTorch's).")
    Double eps;

    @Option(names = "--threads", paramLabel = "T",
            description = "Worker threads, 1 to 1024 (default: the number of processors).")
    Integer threads;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = {"Folder for the outputs, created when missing; files of the same names are replaced:",
                "y.npy and the statistics: mean.npy, invstd.npy (rms: invrms.npy;",
                "batch --training with running statistics also running_mean.npy, running_var.npy);",
                "with --dy also dx.npy, dgamma.npy (with --gamma) and dbeta.npy (with --beta)."})
    Path out;

    private Kind kind() {
        try {
            return Kind.valueOf(kind.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--kind: expected instance, group, layer, batch or rms, got " + kind);
        }
    }

    private void checkOptions(Kind k) {
        if (threads != null && (threads < 1 || threads > 1024)) {
            throw new IllegalArgumentException("--threads: expected 1 to 1024, got " + threads);
        }
        if (eps != null && (!(eps > 0) || !Double.isFinite(eps))) {
            throw new IllegalArgumentException("--eps: expected a finite number > 0, got " + eps);
        }
        if ((groups != null) != (k == Kind.GROUP)) {
            throw new IllegalArgumentException("--groups: expected " + (k == Kind.GROUP
                    ? "the number of groups with --kind group" : "only with --kind group") + ", got "
                    + (groups == null ? "none" : groups));
        }
        if (normalizedDims != null && k != Kind.LAYER && k != Kind.RMS) {
            throw new IllegalArgumentException("--normalized-dims: expected only with --kind layer or rms, got "
                    + normalizedDims);
        }
        if (normalizedDims != null && normalizedDims < 1) {
            throw new IllegalArgumentException("--normalized-dims: expected >= 1, got " + normalizedDims);
        }
        boolean running = runningMean != null || runningVar != null;
        if (k != Kind.BATCH && (training || running)) {
            throw new IllegalArgumentException((training ? "--training" : "--running-mean, --running-var")
                    + ": expected only with --kind batch, got --kind " + kind);
        }
        if (k == Kind.BATCH && (runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("--running-mean, --running-var: expected both or neither, got one");
        }
        if (k == Kind.BATCH && !training && !running) {
            throw new IllegalArgumentException("--running-mean, --running-var: expected with --kind batch unless"
                    + " --training, got neither");
        }
        if (k == Kind.RMS && beta != null) {
            throw new IllegalArgumentException("--beta: expected none with --kind rms (RMSNorm has no shift), got "
                    + beta);
        }
    }

    @Override
    public Integer call() {
        Kind k = kind();
        checkOptions(k);
        CpuBackend.Builder backendBuilder = CpuBackend.builder();
        if (threads != null) {
            backendBuilder.threads(threads);
        }
        // The backend closes last: it reports any tensor of its own still open as a leak.
        try (CpuBackend backend = backendBuilder.build(); Resources held = new Resources()) {
            NpyInputs inputs = new NpyInputs(held);
            Tensor xTensor = inputs.load("--x", x);
            Tensor dyTensor = dy == null ? null : inputs.load("--dy", dy);
            Tensor gammaTensor = gamma == null ? null : inputs.load("--gamma", gamma);
            Tensor betaTensor = beta == null ? null : inputs.load("--beta", beta);
            Tensor meanTensor = runningMean == null ? null : inputs.load("--running-mean", runningMean);
            Tensor varTensor = runningVar == null ? null : inputs.load("--running-var", runningVar);
            Op op = Op.of(k, xTensor.shape().rank(), this);

            List<Tensor> forwardIn = new ArrayList<>(List.of(xTensor));
            addIfPresent(forwardIn, gammaTensor, betaTensor, meanTensor, varTensor);
            List<Tensor> forward = DirectOps.run(backend, op.type, op.forward, forwardIn);
            forward.forEach(held::add);
            Map<String, Tensor> results = new LinkedHashMap<>();
            for (int i = 0; i < forward.size(); i++) {
                results.put(op.outputs.get(i) + ".npy", forward.get(i));
            }
            if (dyTensor != null) {
                List<Tensor> gradIn = new ArrayList<>(List.of(xTensor, dyTensor));
                if (k == Kind.BATCH && !training) {
                    gradIn.addAll(List.of(meanTensor, varTensor));
                } else {
                    gradIn.addAll(forward.subList(1, 1 + op.statistics));
                }
                addIfPresent(gradIn, gammaTensor);
                List<Tensor> grads = DirectOps.run(backend, op.gradType, op.grad, gradIn);
                grads.forEach(held::add);
                results.put("dx.npy", grads.get(0));
                if (gammaTensor != null) {
                    results.put("dgamma.npy", grads.get(1));
                }
                if (betaTensor != null) {
                    results.put("dbeta.npy", grads.get(grads.size() - 1));
                }
            }
            new AtomicOutput(out).write(results);
        }
        spec.commandLine().getOut().println("wrote " + out);
        return 0;
    }

    private static void addIfPresent(List<Tensor> list, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                list.add(t);
            }
        }
    }

    /** The op types, attributes and output names of one run. */
    private record Op(String type, Attributes forward, String gradType, Attributes grad, List<String> outputs,
                      int statistics) {

        static Op of(Kind k, int rank, NormCommand c) {
            boolean g = c.gamma != null;
            boolean b = c.beta != null;
            List<Object> common = new ArrayList<>(List.of(InstanceNorm.GAMMA, g));
            if (k != Kind.RMS) {
                common.addAll(List.of(InstanceNorm.BETA, b));
            }
            if (c.eps != null) {
                common.addAll(List.of(InstanceNorm.EPS, c.eps));
            }
            List<Object> extra = new ArrayList<>();
            List<String> outputs = new ArrayList<>(List.of("y", "mean", "invstd"));
            String type;
            String gradType;
            switch (k) {
                case GROUP -> {
                    type = GroupNorm.OP_TYPE;
                    gradType = GroupNorm.GRAD_OP_TYPE;
                    extra.addAll(List.of(GroupNorm.GROUPS, c.groups));
                }
                case LAYER, RMS -> {
                    int dims = c.normalizedDims == null ? 1 : c.normalizedDims;
                    if (dims > rank) {
                        throw new IllegalArgumentException("--normalized-dims: expected at most the rank of x, "
                                + rank + ", got " + dims);
                    }
                    type = k == Kind.LAYER ? LayerNorm.OP_TYPE : RmsNorm.OP_TYPE;
                    gradType = k == Kind.LAYER ? LayerNorm.GRAD_OP_TYPE : RmsNorm.GRAD_OP_TYPE;
                    extra.addAll(List.of(LayerNorm.AXIS, -dims));
                    if (k == Kind.RMS) {
                        outputs = new ArrayList<>(List.of("y", "invrms"));
                    }
                }
                case BATCH -> {
                    type = BatchNorm.OP_TYPE;
                    gradType = BatchNorm.GRAD_OP_TYPE;
                    extra.addAll(List.of(BatchNorm.TRAINING, c.training));
                    if (!c.training) {
                        outputs = new ArrayList<>(List.of("y"));
                    }
                }
                default -> {
                    type = InstanceNorm.OP_TYPE;
                    gradType = InstanceNorm.GRAD_OP_TYPE;
                }
            }
            int statistics = outputs.size() - 1;
            List<Object> forward = new ArrayList<>(common);
            forward.addAll(extra);
            List<Object> grad = new ArrayList<>(forward);
            if (k == Kind.BATCH) {
                boolean running = c.runningMean != null;
                forward.addAll(List.of(BatchNorm.RUNNING_STATS, running, BatchNorm.MOMENTUM, c.momentum));
                if (c.training && running) {
                    outputs.addAll(List.of("running_mean", "running_var"));
                }
            }
            return new Op(type, Attributes.of(forward.toArray()), gradType, Attributes.of(grad.toArray()),
                    List.copyOf(outputs), statistics);
        }
    }
}
