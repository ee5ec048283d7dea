/**
 * Micrometer meters for ingot: allocator accounting and pipeline pool figures, bound to any
 * {@code MeterRegistry}. A module of its own so that allocator, runtime and ops stay free of dependencies.
 */
module dev.ingot.metrics {
    requires transitive dev.ingot.runtime;
    // IngotMetrics is a MeterBinder and takes a MeterRegistry: Micrometer is part of this module's API.
    requires transitive micrometer.core;

    exports dev.ingot.metrics;
}
