package dev.ingot.bench.cli;

import dev.ingot.bench.BenchShapes;
import dev.ingot.runtime.Shape;
import dev.ingot.serve.IngotServer;
import dev.ingot.serve.ServeConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ingot serve}: the InstanceNorm HTTP service, until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Serves InstanceNorm over HTTP: POST /v1/instance-norm/forward (x as .npy, answer y),"
                    + " POST /v1/instance-norm/backward (x then dy, answer dx), GET /metrics (Prometheus),"
                    + " GET /health. Runs until stopped (Ctrl-C)."
        })
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "P", defaultValue = "8080",
            description = "TCP port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, loopback only).")
    String host;

    @Option(names = "--threads", paramLabel = "T",
            description = "Threads the backend is given, shared by all requests (default: the number of"
                    + " processors).")
    Integer threads;

    @Option(names = "--queue", paramLabel = "Q", defaultValue = "64",
            description = "Requests that may wait for a pipeline; more get 503 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--warm", paramLabel = "NxCxHxW", split = ",",
            description = "Shapes to plan and warm up before listening, e.g. 1x64x56x56.")
    List<String> warm = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        int cores = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (cores < 1 || cores > 1024) {
            throw new IllegalArgumentException("--threads: expected 1 to 1024, got " + cores);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port: expected 0 to 65535, got " + port);
        }
        if (queue < 0) {
            throw new IllegalArgumentException("--queue: expected >= 0, got " + queue);
        }
        List<Shape> shapes = new ArrayList<>();
        for (String s : warm) {
            shapes.add(BenchShapes.parse(s));
        }
        ServeConfig base = ServeConfig.defaults();
        ServeConfig config = new ServeConfig(host, port, cores, base.pipelinesPerShape(), queue,
                base.maxBodyBytes(), base.acquireTimeout(), base.eps(), shapes).withThreads(cores);
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        IngotServer server = IngotServer.start(config);
        // The server lives until the JVM is asked to stop; the hook closes it (close() is idempotent).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "ingot-serve-shutdown"));
        out.println("ingot serve: listening on " + server.uri() + " (" + config.threads()
                + " thread(s), " + config.pipelinesPerShape() + " pipeline(s) per shape, queue "
                + config.queueCapacity() + "); Ctrl-C stops");
        out.flush();
        stopped.await();
        return 0;
    }
}
