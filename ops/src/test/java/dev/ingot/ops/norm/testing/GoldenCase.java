package dev.ingot.ops.norm.testing;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One golden case from PyTorch (folder under the test resources' {@code golden/}, see its README): float32 inputs
 * and float64 references. Cases are discovered by listing the folder, so new ones are picked up without code.
 */
public record GoldenCase(String name, long[] shape, double eps, Problem problem,
                         double[] y, double[] mean, double[] invstd, double[] dx, double[] dgamma, double[] dbeta) {

    private static final Pattern SHAPE = Pattern.compile("\"shape\"\\s*:\\s*\\[([^\\]]*)\\]");
    private static final Pattern EPS = Pattern.compile("\"eps\"\\s*:\\s*([-+0-9.eE]+)");
    private static final Pattern GAMMA = Pattern.compile("\"gamma\"\\s*:\\s*(true|false)");
    private static final Pattern BETA = Pattern.compile("\"beta\"\\s*:\\s*(true|false)");

    /** The folder holding the cases. */
    public static Path root() throws URISyntaxException {
        URL readme = GoldenCase.class.getResource("/golden/README.md");
        if (readme != null && readme.getProtocol().equals("file")) {
            return Path.of(readme.toURI()).getParent();
        }
        return Path.of("src/test/resources/golden");
    }

    /** All cases, sorted by name. */
    public static List<GoldenCase> all() throws IOException, URISyntaxException {
        List<GoldenCase> cases = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root())) {
            for (Path dir : dirs.filter(d -> Files.isRegularFile(d.resolve("case.json"))).sorted().toList()) {
                cases.add(read(dir));
            }
        }
        return cases;
    }

    public static GoldenCase read(Path dir) throws IOException {
        String json = Files.readString(dir.resolve("case.json"));
        long[] shape = Arrays.stream(find(SHAPE, json, dir).split(",")).map(String::trim)
                .mapToLong(Long::parseLong).toArray();
        double eps = Double.parseDouble(find(EPS, json, dir));
        boolean hasGamma = Boolean.parseBoolean(find(GAMMA, json, dir));
        boolean hasBeta = Boolean.parseBoolean(find(BETA, json, dir));
        int n = (int) shape[0];
        int c = (int) shape[1];
        int m = (int) Arrays.stream(shape).skip(2).reduce(1, Math::multiplyExact);
        NpyArray x = NpyArray.read(dir.resolve("x.npy"));
        if (!Arrays.equals(x.shape(), shape)) {
            throw new IOException(dir + ": x.npy shape " + Arrays.toString(x.shape()) + " != case.json shape");
        }
        Problem p = new Problem(n, c, m, x.floats(), NpyArray.read(dir.resolve("dy.npy")).floats(),
                hasGamma ? NpyArray.read(dir.resolve("gamma.npy")).floats() : null,
                hasBeta ? NpyArray.read(dir.resolve("beta.npy")).floats() : null, eps);
        return new GoldenCase(dir.getFileName().toString(), shape, eps, p, data(dir, "y"), data(dir, "mean"),
                data(dir, "invstd"), data(dir, "dx"), hasGamma ? data(dir, "dgamma") : null,
                hasBeta ? data(dir, "dbeta") : null);
    }

    private static double[] data(Path dir, String name) throws IOException {
        return NpyArray.read(dir.resolve(name + ".npy")).data();
    }

    private static String find(Pattern p, String json, Path dir) throws IOException {
        Matcher m = p.matcher(json);
        if (!m.find()) {
            throw new IOException(dir + "/case.json lacks " + p.pattern());
        }
        return m.group(1);
    }

    @Override
    public String toString() {
        return name;
    }
}
