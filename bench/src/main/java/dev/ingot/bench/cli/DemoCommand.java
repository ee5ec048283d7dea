package dev.ingot.bench.cli;

import dev.ingot.bench.BenchShapes;
import dev.ingot.runtime.Shape;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingot demo}: trains a small layer and shows the runtime at work, with no arguments and no set-up. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Trains an affine InstanceNorm layer whose gamma and beta learn to give content features a style's"
                    + " per-channel statistics (AdaIN-style, data made from a fixed seed), as one planned pipeline"
                    + " per step. Prints progress, a gradient check against finite differences, the time per step,"
                    + " the memory plan (eager vs deferred), allocator statistics and the heap bytes per step;"
                    + " then shows the allocator alone: reuse, planning, a limit and a leak report."
        })
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "200",
            description = "Training steps, 1 to 1000000 (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--threads", paramLabel = "T",
            description = "Worker threads, 1 to 1024 (default: the number of processors).")
    Integer threads;

    @Option(names = "--shape", paramLabel = "NxCxHxW", defaultValue = "4x32x32x32",
            description = "Feature shape [N, C, spatial...] of rank 3 to 5 (default: ${DEFAULT-VALUE}).")
    String shape;

    @Override
    public Integer call() {
        if (steps < 1 || steps > 1_000_000) {
            throw new IllegalArgumentException("--steps: expected 1 to 1000000, got " + steps);
        }
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (workers < 1 || workers > 1024) {
            throw new IllegalArgumentException("--threads: expected 1 to 1024, got " + workers);
        }
        Shape features = BenchShapes.parse(shape);
        if (features.rank() < 3 || features.rank() > 5) {
            throw new IllegalArgumentException("--shape: expected rank 3 to 5 like 4x32x32x32, got " + shape);
        }
        PrintWriter out = spec.commandLine().getOut();
        new TrainingDemo(out, steps, workers, features.dims()).run();
        out.println();
        new AllocatorTour(out).run();
        out.flush();
        return 0;
    }
}
