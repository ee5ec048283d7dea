package dev.ingot.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import dev.ingot.runtime.io.NpyHeader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.io.EOFException;
import java.io.IOException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST} of one or two {@code .npy} arrays, answered with one: the body is read once, straight into the
 * memory of the leased pipeline's inputs (pooled off-heap memory planned once per shape), and the answer is written
 * straight from its output. Bytes cross only a reused 64 KiB transfer chunk on the way. Thread-safe.
 */
final class NormHandler implements HttpHandler {

    private static final System.Logger LOG = System.getLogger(NormHandler.class.getName());
    private static final String[] NAMES = {"x", "dy"};
    private static final int[] STATUSES = {200, 400, 405, 500, 503};

    private final NormKind kind;
    private final NormPipelines pipelines;
    private final Semaphore admission;
    private final TransferChunks chunks;
    private final long maxBodyBytes;
    private final Timer[] timers = new Timer[STATUSES.length];

    NormHandler(NormKind kind, NormPipelines pipelines, Semaphore admission, TransferChunks chunks,
                long maxBodyBytes, MeterRegistry registry) {
        this.kind = kind;
        this.pipelines = pipelines;
        this.admission = admission;
        this.chunks = chunks;
        this.maxBodyBytes = maxBodyBytes;
        for (int i = 0; i < STATUSES.length; i++) {
            timers[i] = Timer.builder("ingot.serve.requests").description("InstanceNorm requests")
                    .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
                    .tag("status", Integer.toString(STATUSES[i])).register(registry);
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        long start = System.nanoTime();
        int status;
        try (exchange) {
            status = serve(exchange);
        }
        for (int i = 0; i < STATUSES.length; i++) {
            if (STATUSES[i] == status) {
                timers[i].record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Serves one exchange and returns the status sent (0 when the client went away first). */
    private int serve(HttpExchange exchange) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", "POST");
            Replies.text(exchange, 405, exchange.getRequestMethod() + " is not allowed: POST "
                    + (kind == NormKind.FORWARD ? "x" : "x then dy") + " as .npy (float32, [N, C, spatial...])");
            return 405;
        }
        if (!admission.tryAcquire()) {
            Replies.text(exchange, 503, "overloaded: the request queue is full, try again later");
            return 503;
        }
        byte[] chunk = chunks.take();
        boolean responded = false;
        try {
            checkDeclaredLength(exchange);
            RequestChannel in = new RequestChannel(exchange.getRequestBody(), chunk, maxBodyBytes);
            NpyHeader x = checkedHeader(in, 0);
            try (NormPipelines.Lease lease = pipelines.acquire(kind, x.shape())) {
                Npy.readData(in, x, lease.input(0).segment());
                for (int i = 1; i < kind.arrays(); i++) {
                    NpyHeader next = checkedHeader(in, i);
                    if (!next.shape().equals(x.shape())) {
                        throw new BadRequestException(NAMES[i] + ": expected the shape of x " + x.shape() + ", got "
                                + next.shape());
                    }
                    Npy.readData(in, next, lease.input(i).segment());
                }
                if (!in.atEnd()) {
                    throw new BadRequestException("body continues after its " + kind.arrays() + " .npy array"
                            + (kind.arrays() > 1 ? "s" : ""));
                }
                lease.run();
                Tensor out = lease.output();
                exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                exchange.sendResponseHeaders(200, Npy.encodedSize(out.type()));
                responded = true;
                Npy.write(new ResponseChannel(exchange.getResponseBody(), chunk), out);
            }
            return 200;
        } catch (BadRequestException | IllegalArgumentException | EOFException e) {
            drain(exchange, chunk);
            return fail(exchange, responded, 400, stripSource(e.getMessage()));
        } catch (ServiceBusyException | AllocationLimitException e) {
            return fail(exchange, responded, 503, "busy: " + e.getMessage());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "client went away", e);
            return 0;
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.WARNING, "request failed", e);
            return fail(exchange, responded, 500, "internal error (logged by the server)");
        } finally {
            chunks.give(chunk);
            admission.release();
        }
    }

    /**
     * Reads and drops what is left of a refused body, up to {@code maxBodyBytes}, so that the client, still
     * sending, receives the 400 instead of a reset connection. Beyond that the connection is simply closed.
     */
    private void drain(HttpExchange exchange, byte[] chunk) {
        try {
            long left = maxBodyBytes;
            int n;
            while (left > 0 && (n = exchange.getRequestBody().read(chunk, 0, (int) Math.min(chunk.length, left))) > 0) {
                left -= n;
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "client went away while its refused body was drained", e);
        }
    }

    private void checkDeclaredLength(HttpExchange exchange) {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.strip());
            } catch (NumberFormatException e) {
                throw new BadRequestException("Content-Length: expected a number, got " + declared);
            }
            if (length > maxBodyBytes) {
                throw new BadRequestException("body of " + length + " bytes is longer than the limit of "
                        + maxBodyBytes + " bytes");
            }
        }
    }

    /** Reads the i-th array's header and checks it before any memory is given to its data. */
    private NpyHeader checkedHeader(RequestChannel in, int i) throws IOException {
        String name = NAMES[i];
        NpyHeader header;
        try {
            header = Npy.readHeader(in);
        } catch (IllegalArgumentException | EOFException e) {
            throw new BadRequestException(name + ": " + stripSource(e.getMessage()));
        }
        if (header.dtype() != DType.FLOAT32) {
            throw new BadRequestException(name + ": expected float32 ('<f4'), got " + header.dtype());
        }
        Shape shape = header.shape();
        if (shape.rank() < 3 || shape.rank() > 5) {
            throw new BadRequestException(name + ": expected rank 3, 4 or 5 ([N, C, spatial...]), got " + shape);
        }
        long needed = in.bytesRead() + header.dataBytes() * (kind.arrays() - i);
        if (needed > maxBodyBytes) {
            throw new BadRequestException(name + ": shape " + shape + " needs a body of at least " + needed
                    + " bytes, longer than the limit of " + maxBodyBytes);
        }
        return header;
    }

    private static String stripSource(String message) {
        return message != null && message.startsWith("stream: ") ? message.substring(8) : message;
    }

    private static int fail(HttpExchange exchange, boolean responded, int status, String reason) throws IOException {
        if (responded) {
            return 0; // the status line is gone; closing cuts the body short, which the client sees
        }
        Replies.text(exchange, status, reason);
        return status;
    }
}
