/** JMH benchmarks and the ingot command-line tool. */
module dev.ingot.bench {
    requires dev.ingot.ops;
    requires dev.ingot.serve;
    requires java.net.http;
    requires info.picocli;
    // jmh-core and HdrHistogram have no module name: they are read from the class path (--add-reads in the pom),
    // as a jar named only by its file name must not be required by a module.
    requires io.netty.buffer;
    requires jdk.incubator.vector;
    requires java.desktop;
    requires jdk.management;
    requires jdk.jfr;

    exports dev.ingot.bench;
    exports dev.ingot.bench.latency;
    opens dev.ingot.bench.cli to info.picocli;
}
