package dev.ingot.bench.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** README "Use it in your service": the example class is in the README word for word, and it is right and safe. */
class NormServiceTest {
    private static final Path ROOT = Path.of(System.getProperty("ingot.project.root", "..")).toAbsolutePath();

    @Test
    void readmeShowsTheExampleAsCompiled() throws IOException {
        String source = Files.readString(ROOT.resolve("bench/src/test/java/dev/ingot/bench/readme/NormService.java"));
        String example = source.substring(source.indexOf("import dev.ingot"));
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertTrue(readme.contains(example), "README.md must show NormService.java from its imports to its end");
    }

    @Test
    void concurrentCallersGetEachTheirOwnNormalizedPlanes() throws Exception {
        Shape[] shapes = {Shape.of(2, 3, 4, 4), Shape.of(1, 2, 16)};
        int calls = 24;
        try (NormService service = new NormService();
             ExecutorService callers = Executors.newFixedThreadPool(4)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int call = 0; call < calls; call++) {
                Shape shape = shapes[call % 2];
                float[] values = request(call, (int) shape.elementCount());
                results.add(callers.submit(() -> matchesReference(values, service.normalize(values, shape), 16)));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get(60, TimeUnit.SECONDS), "a call's output is its own input normalized");
            }
        }
    }

    private static float[] request(int call, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (call * 10 + Math.sin(call + 0.7 * i) * (1 + call % 5));
        }
        return values;
    }

    /** Float64 instance norm of each plane (eps 1e-5, biased variance) against the float32 result. */
    private static boolean matchesReference(float[] x, float[] y, int plane) {
        assertEquals(x.length, y.length);
        for (int start = 0; start < x.length; start += plane) {
            double mean = 0;
            for (int i = start; i < start + plane; i++) {
                mean += x[i];
            }
            mean /= plane;
            double variance = 0;
            for (int i = start; i < start + plane; i++) {
                variance += (x[i] - mean) * (x[i] - mean);
            }
            double invstd = 1 / Math.sqrt(variance / plane + 1e-5);
            for (int i = start; i < start + plane; i++) {
                if (Math.abs(y[i] - (x[i] - mean) * invstd) > 1e-4) {
                    return false;
                }
            }
        }
        return true;
    }
}
