package dev.ingot.runtime.interop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JSON parameters of Arrow's {@code arrow.fixed_shape_tensor}: {@code shape} (the physical shape of each
 * row's tensor), optionally {@code permutation} (logical dimension i is physical dimension permutation[i]) and
 * {@code dim_names} (read past; ingot's dimensions have no names). A small reader for exactly this JSON: an object
 * whose values are arrays of integers or strings; other keys are skipped whatever their value.
 *
 * @param shape       the physical shape, each extent {@code >= 0}
 * @param permutation the permutation, or null for the identity
 */
record TensorExtensionMetadata(long[] shape, int[] permutation) {

    /** Writes {@code {"shape":[...]}} and, when given, {@code "permutation":[...]}. */
    String toJson() {
        StringBuilder json = new StringBuilder("{\"shape\":").append(list(shape));
        if (permutation != null) {
            json.append(",\"permutation\":").append(list(Arrays.stream(permutation).asLongStream().toArray()));
        }
        return json.append('}').toString();
    }

    private static String list(long[] values) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            s.append(i == 0 ? "" : ",").append(values[i]);
        }
        return s.append(']').toString();
    }

    /**
     * Parses the extension's metadata.
     *
     * @throws IllegalArgumentException when it is not such a JSON object or has no valid {@code shape}
     */
    static TensorExtensionMetadata parse(String json) {
        Reader reader = new Reader(json);
        long[] shape = null;
        long[] permutation = null;
        reader.expect('{');
        if (!reader.consume('}')) {
            do {
                String key = reader.string();
                reader.expect(':');
                switch (key) {
                    case "shape" -> shape = reader.integers("shape");
                    case "permutation" -> permutation = reader.integers("permutation");
                    default -> reader.skipValue();
                }
            } while (reader.consume(','));
            reader.expect('}');
        }
        reader.end();
        if (shape == null) {
            throw new IllegalArgumentException("metadata: expected a \"shape\" in " + json);
        }
        for (long extent : shape) {
            if (extent < 0) {
                throw new IllegalArgumentException("metadata: expected extents >= 0 in \"shape\", got " + json);
            }
        }
        return new TensorExtensionMetadata(shape, permutation == null ? null : checkedPermutation(permutation,
                shape.length, json));
    }

    private static int[] checkedPermutation(long[] values, int rank, String json) {
        boolean[] seen = new boolean[rank];
        int[] permutation = new int[values.length];
        if (values.length != rank) {
            throw new IllegalArgumentException("metadata: expected a \"permutation\" of " + rank + " dimensions, got "
                    + json);
        }
        for (int i = 0; i < rank; i++) {
            if (values[i] < 0 || values[i] >= rank || seen[(int) values[i]]) {
                throw new IllegalArgumentException("metadata: expected \"permutation\" to be a permutation of 0.."
                        + (rank - 1) + ", got " + json);
            }
            seen[(int) values[i]] = true;
            permutation[i] = (int) values[i];
        }
        return permutation;
    }

    /** A cursor over the JSON text. */
    private static final class Reader {
        private final String text;
        private int at;

        Reader(String text) {
            this.text = text;
        }

        private IllegalArgumentException error(String expected) {
            return new IllegalArgumentException("metadata: expected " + expected + " at character " + at + " of "
                    + text);
        }

        private void blanks() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        boolean consume(char c) {
            blanks();
            if (at < text.length() && text.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        void expect(char c) {
            if (!consume(c)) {
                throw error("'" + c + "'");
            }
        }

        void end() {
            blanks();
            if (at != text.length()) {
                throw error("the end");
            }
        }

        String string() {
            expect('"');
            StringBuilder s = new StringBuilder();
            while (at < text.length() && text.charAt(at) != '"') {
                char c = text.charAt(at++);
                if (c == '\\' && at < text.length()) {
                    char escaped = text.charAt(at++);
                    if (escaped == 'u' && at + 4 <= text.length()) {
                        s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    } else {
                        s.append(switch (escaped) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case 'r' -> '\r';
                            case 'b' -> '\b';
                            case 'f' -> '\f';
                            default -> escaped;
                        });
                    }
                } else {
                    s.append(c);
                }
            }
            expect('"');
            return s.toString();
        }

        long integer(String key) {
            blanks();
            int start = at;
            if (at < text.length() && text.charAt(at) == '-') {
                at++;
            }
            while (at < text.length() && Character.isDigit(text.charAt(at))) {
                at++;
            }
            try {
                return Long.parseLong(text.substring(start, at));
            } catch (NumberFormatException e) {
                at = start;
                throw error("an integer in \"" + key + "\"");
            }
        }

        long[] integers(String key) {
            expect('[');
            List<Long> values = new ArrayList<>();
            if (!consume(']')) {
                do {
                    values.add(integer(key));
                } while (consume(','));
                expect(']');
            }
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        void skipValue() {
            blanks();
            if (at >= text.length()) {
                throw error("a value");
            }
            char c = text.charAt(at);
            if (c == '"') {
                string();
            } else if (c == '[' || c == '{') {
                char close = c == '[' ? ']' : '}';
                at++;
                if (!consume(close)) {
                    do {
                        if (c == '{') {
                            string();
                            expect(':');
                        }
                        skipValue();
                    } while (consume(','));
                    expect(close);
                }
            } else {
                int start = at;
                while (at < text.length() && ",]} \t\r\n".indexOf(text.charAt(at)) < 0) {
                    at++;
                }
                if (start == at) {
                    throw error("a value");
                }
            }
        }
    }
}
