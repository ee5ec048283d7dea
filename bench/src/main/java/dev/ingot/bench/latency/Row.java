package dev.ingot.bench.latency;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One scenario's result, as the keys of the JSON report, in order. Values are {@code String}, {@code Number} or
 * null.
 */
final class Row {

    private final Map<String, Object> values = new LinkedHashMap<>();
    /** Printed, not in the JSON (whose keys are fixed): total GC pause inside the window. */
    private long gcPauseMillis;

    Row put(String key, Object value) {
        values.put(key, value);
        return this;
    }

    Object get(String key) {
        return values.get(key);
    }

    Map<String, Object> values() {
        return values;
    }

    /** The keys every timed scenario has, from a measured window. */
    static Row timed(String scenario, String mode, Integer callers, int threads, Double load, Measured m) {
        Row row = new Row().put("scenario", scenario);
        if (mode != null) {
            row.put("mode", mode);
        }
        return row.put("callers", callers).put("threads", threads).put("load", load)
                .put("p50_us", micros(m.histogram().getValueAtPercentile(50)))
                .put("p99_us", micros(m.histogram().getValueAtPercentile(99)))
                .put("p999_us", micros(m.histogram().getValueAtPercentile(99.9)))
                .put("max_us", micros(m.histogram().getMaxValue()))
                .put("throughput_per_s", round(m.throughput(), 1))
                .put("gc_count", m.gcCount())
                .put("heap_bytes_per_request", round(m.heapBytesPerRequest(), 1))
                .gcPause(m.gcMillis());
    }

    Row gcPause(long millis) {
        gcPauseMillis = millis;
        return this;
    }

    long gcPauseMillis() {
        return gcPauseMillis;
    }

    static double micros(long nanos) {
        return round(nanos / 1000.0, 1);
    }

    static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }

    /** The row as a JSON object on one line. */
    String toJson() {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append('"').append(e.getKey()).append("\": ");
            Object v = e.getValue();
            if (v == null) {
                sb.append("null");
            } else if (v instanceof String s) {
                sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            } else if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
                sb.append("null");
            } else {
                sb.append(v);
            }
        }
        return sb.append('}').toString();
    }
}
