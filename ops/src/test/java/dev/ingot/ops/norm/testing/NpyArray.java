package dev.ingot.ops.norm.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A NumPy .npy file (version 1.0/2.0, little-endian float32 or float64, C order), values widened to double. */
public record NpyArray(long[] shape, boolean float32, double[] data) {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static NpyArray read(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        buf.get(magic);
        if (magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(file + ": not a .npy file");
        }
        int major = buf.get();
        buf.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
        byte[] header = new byte[headerLength];
        buf.get(header);
        String text = new String(header, StandardCharsets.US_ASCII);
        String descr = group(DESCR, text, file);
        if (group(ORDER, text, file).equals("True")) {
            throw new IOException(file + ": Fortran order not supported");
        }
        long[] shape = Arrays.stream(group(SHAPE, text, file).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        int count = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
        double[] data = new double[count];
        switch (descr) {
            case "<f4" -> {
                for (int i = 0; i < count; i++) {
                    data[i] = buf.getFloat();
                }
            }
            case "<f8" -> {
                for (int i = 0; i < count; i++) {
                    data[i] = buf.getDouble();
                }
            }
            default -> throw new IOException(file + ": unsupported dtype " + descr);
        }
        return new NpyArray(shape, descr.equals("<f4"), data);
    }

    private static String group(Pattern p, String text, Path file) throws IOException {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new IOException(file + ": header lacks " + p.pattern());
        }
        return m.group(1);
    }

    /** The values as float32 (exact for arrays stored as float32). */
    public float[] floats() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return f;
    }
}
