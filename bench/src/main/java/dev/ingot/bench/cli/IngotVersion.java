package dev.ingot.bench.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the ingot version from the jar's manifest and the JVM it runs on. */
final class IngotVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = IngotVersion.class.getPackage().getImplementationVersion();
        return new String[] {
            "ingot " + (version == null ? "(development build)" : version),
            "JVM " + Runtime.version() + ", Vector API "
                    + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "present" : "absent")
        };
    }
}
