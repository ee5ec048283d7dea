package dev.ingot.runtime.io;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Shape;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and checks a {@code .npy} header: magic, version, header length, and the Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. Every size is checked against the file
 * before anything is allocated.
 */
final class NpyHeaderParser {

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** A real header is a few hundred bytes; anything beyond this is not a header worth reading. */
    static final int MAX_HEADER_BYTES = 1 << 20;

    /** Names the source in messages: {@code file /a/b.npy} or {@code stream}. */
    private final String source;
    private final String text;
    private int pos;

    private NpyHeaderParser(String source, String text) {
        this.source = source;
        this.text = text;
    }

    static NpyHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 10) {
            throw bad(file, "truncated: " + fileSize + " bytes is too short for a .npy header");
        }
        ByteBuffer prefix = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        prefix.limit((int) Math.min(12, fileSize));
        readFully(file, channel, prefix, 0);
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix.get(i) != MAGIC[i]) {
                throw bad(file, "wrong magic: expected \\x93NUMPY, got " + describe(prefix, 6));
            }
        }
        int major = prefix.get(6) & 0xff;
        int minor = prefix.get(7) & 0xff;
        long headerLength;
        int prefixLength;
        if (major == 1) {
            headerLength = prefix.getShort(8) & 0xffff;
            prefixLength = 10;
        } else if (major == 2 || major == 3) {
            if (fileSize < 12) {
                throw bad(file, "truncated: " + fileSize + " bytes is too short for a version " + major + " header");
            }
            headerLength = prefix.getInt(8) & 0xffffffffL;
            prefixLength = 12;
        } else {
            throw bad(file, "unsupported format version " + major + "." + minor + ": expected 1.0, 2.0 or 3.0");
        }
        long dataOffset = prefixLength + headerLength;
        if (dataOffset > fileSize) {
            throw bad(file, "header of " + headerLength + " bytes runs past the end of the file (" + fileSize
                    + " bytes)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw bad(file, "header of " + headerLength + " bytes is longer than " + MAX_HEADER_BYTES
                    + ", not a plausible .npy header");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        readFully(file, channel, header, prefixLength);
        String text = new String(header.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        NpyHeader parsed = new NpyHeaderParser("file " + file, text).parse(major, minor, dataOffset);
        long available = fileSize - dataOffset;
        if (parsed.dataBytes() > available) {
            throw bad(file, "truncated: shape " + parsed.shape() + " of " + parsed.dtype() + " needs "
                    + parsed.dataBytes() + " bytes of data, the file has " + available + " after the header");
        }
        return parsed;
    }

    private NpyHeader parse(int major, int minor, long dataOffset) {
        Map<String, Object> dict = parseDict();
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw bad(source, "malformed header: no '" + key + "' in " + text.trim());
            }
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw bad(source, "unsupported dtype " + dict.get("descr") + ": expected float32 or float64 ('<f4', '>f4',"
                    + " '<f8', '>f8'); structured dtypes are not supported");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw bad(source, "malformed header: fortran_order is " + dict.get("fortran_order")
                    + ", expected True or False");
        }
        if (fortran) {
            throw bad(source, "Fortran order (fortran_order: True) is not supported: expected C order");
        }
        if (!(dict.get("shape") instanceof long[] dims)) {
            throw bad(source, "malformed header: shape is " + dict.get("shape") + ", expected a tuple of integers");
        }
        DType dtype = dtypeOf(descr);
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        if (dims.length == 0) {
            throw bad(source, "0-d arrays (shape ()) are not supported: expected rank 1 to " + Shape.MAX_RANK);
        }
        if (dims.length > Shape.MAX_RANK) {
            throw bad(source, "shape of rank " + dims.length + " is not supported: expected rank 1 to "
                    + Shape.MAX_RANK);
        }
        Shape shape;
        try {
            shape = new Shape(dims);
            Math.multiplyExact(shape.elementCount(), (long) dtype.byteSize());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw bad(source, "shape " + java.util.Arrays.toString(dims) + " of " + dtype
                    + ": its byte count overflows a long");
        }
        return new NpyHeader(major, minor, dtype, order, shape, dataOffset);
    }

    private DType dtypeOf(String descr) {
        if (descr.length() == 3 && (descr.charAt(0) == '<' || descr.charAt(0) == '>')) {
            String kind = descr.substring(1);
            if (kind.equals("f4")) {
                return DType.FLOAT32;
            }
            if (kind.equals("f8")) {
                return DType.FLOAT64;
            }
        }
        throw bad(source, "unsupported dtype '" + descr + "': expected float32 or float64 ('<f4', '>f4', '<f8',"
                + " '>f8')");
    }

    // ---- a small parser for the header's Python literal --------------------------------------------------------

    private Map<String, Object> parseDict() {
        Map<String, Object> dict = new HashMap<>();
        expect('{');
        while (true) {
            skipSpace();
            if (peek() == '}') {
                pos++;
                return dict;
            }
            String key = parseString();
            expect(':');
            dict.put(key, parseValue());
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else if (peek() != '}') {
                throw malformed("expected ',' or '}'");
            }
        }
    }

    private Object parseValue() {
        skipSpace();
        char c = peek();
        if (c == '\'' || c == '"') {
            return parseString();
        }
        if (c == '(') {
            return parseTuple();
        }
        if (text.startsWith("True", pos)) {
            pos += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("False", pos)) {
            pos += 5;
            return Boolean.FALSE;
        }
        if (c == '[') {
            skipBracketed('[', ']');
            return "a list";
        }
        throw malformed("unexpected value");
    }

    private long[] parseTuple() {
        expect('(');
        List<Long> dims = new ArrayList<>();
        while (true) {
            skipSpace();
            if (peek() == ')') {
                pos++;
                break;
            }
            dims.add(parseInteger());
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else if (peek() != ')') {
                throw malformed("expected ',' or ')' in shape");
            }
        }
        long[] out = new long[dims.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dims.get(i);
        }
        return out;
    }

    private long parseInteger() {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos < text.length() && text.charAt(pos) == 'L') { // Python 2 long suffix
            pos++;
            if (start == pos - 1) {
                throw malformed("expected a non-negative integer in shape");
            }
            return toLong(text.substring(start, pos - 1));
        }
        if (start == pos) {
            throw malformed("expected a non-negative integer in shape");
        }
        return toLong(text.substring(start, pos));
    }

    private long toLong(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw bad(source, "shape dimension " + digits + " overflows a long");
        }
    }

    private String parseString() {
        skipSpace();
        char quote = peek();
        if (quote != '\'' && quote != '"') {
            throw malformed("expected a quoted string");
        }
        int end = text.indexOf(quote, pos + 1);
        if (end < 0) {
            throw malformed("unterminated string");
        }
        String s = text.substring(pos + 1, end);
        pos = end + 1;
        return s;
    }

    private void skipBracketed(char open, char close) {
        int depth = 0;
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == open) {
                depth++;
            } else if (c == close && --depth == 0) {
                return;
            }
        }
        throw malformed("unterminated " + open);
    }

    private void expect(char c) {
        skipSpace();
        if (peek() != c) {
            throw malformed("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        if (pos >= text.length()) {
            throw malformed("unexpected end");
        }
        return text.charAt(pos);
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException malformed(String what) {
        String shown = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return bad(source, "malformed header: " + what + " at character " + pos + " of " + shown.trim());
    }

    // ---- shared helpers ---------------------------------------------------------------------------------------

    static IllegalArgumentException bad(Path file, String problem) {
        return bad("file " + file, problem);
    }

    static IllegalArgumentException bad(String source, String problem) {
        return new IllegalArgumentException(source + ": " + problem);
    }

    /**
     * Reads and checks a header from the current position of a sequential channel, consuming exactly the header
     * (magic to padding): the channel is then at the first data byte. The source's length is unknown, so the data
     * length is not checked here; reading the data finds a truncation.
     *
     * @throws EOFException             when the channel ends inside the header
     * @throws IllegalArgumentException for a malformed header
     */
    static NpyHeader read(String source, ReadableByteChannel channel) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        prefix.limit(10);
        readFully(source, channel, prefix, "the header's first 10 bytes");
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix.get(i) != MAGIC[i]) {
                throw bad(source, "wrong magic: expected \\x93NUMPY, got " + describe(prefix, 6));
            }
        }
        int major = prefix.get(6) & 0xff;
        int minor = prefix.get(7) & 0xff;
        long headerLength;
        int prefixLength;
        if (major == 1) {
            headerLength = prefix.getShort(8) & 0xffff;
            prefixLength = 10;
        } else if (major == 2 || major == 3) {
            prefix.limit(12).position(10);
            readFully(source, channel, prefix, "a version " + major + " header's length");
            headerLength = prefix.getInt(8) & 0xffffffffL;
            prefixLength = 12;
        } else {
            throw bad(source, "unsupported format version " + major + "." + minor + ": expected 1.0, 2.0 or 3.0");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw bad(source, "header of " + headerLength + " bytes is longer than " + MAX_HEADER_BYTES
                    + ", not a plausible .npy header");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        readFully(source, channel, header, "a header of " + headerLength + " bytes");
        String text = new String(header.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        return new NpyHeaderParser(source, text).parse(major, minor, prefixLength + headerLength);
    }

    /** Fills the buffer from its position to its limit; the end of the stream first is an {@link EOFException}. */
    static void readFully(String source, ReadableByteChannel channel, ByteBuffer buffer, String what)
            throws IOException {
        int start = buffer.position();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException(source + ": truncated: the stream ended after " + (buffer.position() - start)
                        + " of " + (buffer.limit() - start) + " bytes of " + what);
            }
        }
    }

    /** Reads until the buffer is full; a short file is a truncation error, never a hang. */
    static void readFully(Path file, FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw bad(file, "truncated: the file ended at byte " + at);
            }
            at += n;
        }
        buffer.flip();
    }

    private static String describe(ByteBuffer prefix, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, prefix.limit()); i++) {
            int b = prefix.get(i) & 0xff;
            sb.append(b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return sb.toString();
    }
}
