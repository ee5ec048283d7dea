/**
 * An HTTP service around ingot's InstanceNorm on the JDK's {@code com.sun.net.httpserver}: {@code .npy} bodies in
 * and out, Prometheus metrics through Micrometer, a health check.
 */
module dev.ingot.serve {
    requires transitive dev.ingot.ops;
    requires dev.ingot.metrics;
    requires jdk.httpserver;
    requires micrometer.core;
    requires micrometer.registry.prometheus;

    exports dev.ingot.serve;
}
