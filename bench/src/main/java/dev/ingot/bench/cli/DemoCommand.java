package dev.ingot.bench.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ingot demo}: shows the runtime at work with no arguments and no set-up. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Shows the off-heap allocator at work: reuse, planning, limits and a leak report.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        new AllocatorTour(out).run();
        out.flush();
        return 0;
    }
}
