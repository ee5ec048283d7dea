package dev.ingot.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON report's shape on a tiny run (short windows, a small shape; no timing is asserted). */
class LatencyCommandTest {

    private static final List<String> TIMED = List.of("scenario", "mode", "callers", "threads", "load", "p50_us",
            "p99_us", "p999_us", "max_us", "throughput_per_s", "gc_count", "heap_bytes_per_request");

    @TempDir
    Path dir;

    @Test
    void jsonHasOneObjectPerScenarioWithTheIssuesKeys() throws Exception {
        Path json = dir.resolve("latency.json");
        CliRun run = CliRun.of("latency", "--json", json.toString(), "--shape", "1x4x8x8", "--threads", "2", "--callers", "1,2",
                "--http-callers", "2", "--warmup-ms", "50", "--measure-ms", "200", "--idle-ms", "100");
        assertEquals(0, run.exitCode(), run.err());
        String text = Files.readString(json);
        assertTrue(text.startsWith("[") && text.strip().endsWith("]"), text);
        List<String> objects = new ArrayList<>();
        Matcher m = Pattern.compile("\\{[^{}]*}").matcher(text);
        while (m.find()) {
            objects.add(m.group());
        }
        List<String> scenarios = new ArrayList<>();
        for (String object : objects) {
            Set<String> keys = keys(object);
            String scenario = value(object, "scenario");
            scenarios.add(scenario + "/" + value(object, "mode") + "/" + value(object, "callers") + "/"
                    + value(object, "load"));
            switch (scenario) {
                case "\"op\"", "\"http\"" -> assertEquals(new LinkedHashSet<>(TIMED), keys, object);
                case "\"idle\"" -> {
                    Set<String> expected = new LinkedHashSet<>(TIMED);
                    expected.remove("mode");
                    expected.add("cpu_percent_of_one_core");
                    assertEquals(expected, keys, object);
                }
                case "\"cold\"" -> {
                    Set<String> expected = new LinkedHashSet<>(TIMED);
                    expected.remove("mode");
                    expected.addAll(List.of("first_request_us", "first_request_heap_bytes", "steady_p50_us"));
                    assertEquals(expected, keys, object);
                }
                default -> throw new AssertionError("unknown scenario " + scenario);
            }
        }
        // cold twice: on one thread, then on the backend's threads
        List<String> expected = List.of("\"cold\"/null/1/null", "\"cold\"/null/1/null", "\"op\"/\"closed\"/1/null",
                "\"op\"/\"closed\"/1/null", "\"op\"/\"closed\"/2/null", "\"op\"/\"open\"/4/0.5",
                "\"op\"/\"open\"/4/0.8", "\"http\"/\"closed\"/2/null", "\"http\"/\"open\"/4/0.5",
                "\"http\"/\"open\"/4/0.8", "\"idle\"/null/0/null");
        assertEquals(expected, scenarios);
        assertTrue(text.contains("{\"scenario\": \"op\", \"mode\": \"closed\", \"callers\": 1, \"threads\": 1,"
                + " \"load\": null"), "op / closed / 1 caller / 1 thread is there");
        assertTrue(text.contains("{\"scenario\": \"op\", \"mode\": \"closed\", \"callers\": 2, \"threads\": 2,"),
                text);
        assertTrue(text.contains("{\"scenario\": \"cold\", \"callers\": 1, \"threads\": 2,"), "cold on 2 threads: "
                + text);
        try (var files = Files.list(dir)) {
            assertEquals(expected.size() - 1, files.filter(p -> p.toString().endsWith(".hgrm")).count());
        }
    }

    @Test
    void badOptionsExitWithTwoAndOneLine() {
        CliRun run = CliRun.of("latency", "--scenarios", "op,nap");
        assertEquals(2, run.exitCode());
        assertEquals(List.of("latency: --scenarios: expected some of cold, op, http, idle, got nap"), run.errLines());
    }

    private static Set<String> keys(String object) {
        Set<String> keys = new LinkedHashSet<>();
        Matcher m = Pattern.compile("\"(\\w+)\": ").matcher(object);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    private static String value(String object, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\"[^\"]*\"|[^,}]+)").matcher(object);
        return m.find() ? m.group(1).strip() : "null";
    }
}
