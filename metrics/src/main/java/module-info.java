/**
 * Micrometer meters for ingot: allocator accounting and pipeline pool figures, bound to any
 * {@code MeterRegistry}. A module of its own so that allocator, runtime and ops stay free of dependencies.
 */
module dev.ingot.metrics {
    requires transitive dev.ingot.runtime;
    requires micrometer.core;

    exports dev.ingot.metrics;
}
