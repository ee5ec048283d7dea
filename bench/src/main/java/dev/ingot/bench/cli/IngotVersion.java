package dev.ingot.bench.cli;

import dev.ingot.ops.KernelInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code ingot --version}: the ingot version the build wrote into the jar, the kernel set this JVM runs, the JDK and
 * the cores the JVM sees. Stateless and thread-safe.
 */
final class IngotVersion implements IVersionProvider {
    private static final String RESOURCE = "version.properties";

    @Override
    public String[] getVersion() {
        Runtime.Version jdk = Runtime.version();
        return new String[] {
            "ingot " + version(),
            "kernels: " + KernelInfo.current().summary(),
            "JDK " + jdk + " (" + System.getProperty("java.vendor", "unknown vendor") + ") at "
                    + System.getProperty("java.home"),
            "cores: " + Runtime.getRuntime().availableProcessors() + " available to this JVM"
        };
    }

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    static String version() {
        try (InputStream in = IngotVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the ingot jar: rebuild it");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
