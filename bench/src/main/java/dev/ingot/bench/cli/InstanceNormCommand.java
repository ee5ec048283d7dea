package dev.ingot.bench.cli;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ingot instance-norm}: runs InstanceNorm (and with {@code --dy} its gradient) on {@code .npy} files and
 * writes the results as float32 {@code .npy} files, all or nothing.
 */
@Command(name = "instance-norm", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs InstanceNorm on .npy files: y, mean and invstd; with --dy also dx, dgamma and dbeta.",
            "Inputs are float32 or float64 .npy files in C order; float32 files in native byte order are mapped,"
                    + " not copied. Outputs are float32. On any error (out of memory included) nothing in DIR"
                    + " changes and the exit code is 2."
        })
final class InstanceNormCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--x", required = true, paramLabel = "X.npy",
            description = "Input of rank 3, 4 or 5: [N, C, L], [N, C, H, W] or [N, C, D, H, W].")
    Path x;

    @Option(names = "--dy", paramLabel = "DY.npy",
            description = "Upstream gradient dL/dy, shaped like x. When given, dx (and dgamma, dbeta) are written.")
    Path dy;

    @Option(names = "--gamma", paramLabel = "G.npy", description = "Per-channel scale [C] (default: 1).")
    Path gamma;

    @Option(names = "--beta", paramLabel = "B.npy", description = "Per-channel shift [C] (default: 0).")
    Path beta;

    @Option(names = "--eps", paramLabel = "E", defaultValue = "1e-5",
            description = "Added to the variance; finite and > 0 (default: ${DEFAULT-VALUE}).")
    double eps;

    @Option(names = "--threads", paramLabel = "T",
            description = "Worker threads, 1 to 1024 (default: the number of processors).")
    Integer threads;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = {"Folder for the outputs, created when missing; files of the same names are replaced:",
                "y.npy, mean.npy, invstd.npy; with --dy also dx.npy,",
                "dgamma.npy (with --gamma) and dbeta.npy (with --beta)."})
    Path out;

    @Override
    public Integer call() {
        if (threads != null && (threads < 1 || threads > 1024)) {
            throw new IllegalArgumentException("--threads: expected 1 to 1024, got " + threads);
        }
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("--eps: expected a finite number > 0, got " + eps);
        }
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

            Map<String, Tensor> results = new LinkedHashMap<>();
            InstanceNorm.Forward forward = held.add(
                    InstanceNorm.forward(backend, xTensor, gammaTensor, betaTensor, eps));
            results.put("y.npy", forward.y());
            results.put("mean.npy", forward.mean());
            results.put("invstd.npy", forward.invstd());
            if (dyTensor != null) {
                InstanceNorm.Gradients grads = held.add(InstanceNorm.backward(backend, xTensor, dyTensor,
                        forward.mean(), forward.invstd(), gammaTensor, betaTensor != null, eps));
                results.put("dx.npy", grads.dx());
                if (grads.dgamma() != null) {
                    results.put("dgamma.npy", grads.dgamma());
                }
                if (grads.dbeta() != null) {
                    results.put("dbeta.npy", grads.dbeta());
                }
            }
            new AtomicOutput(out).write(results);
        }
        spec.commandLine().getOut().println("wrote " + out);
        return 0;
    }
}
