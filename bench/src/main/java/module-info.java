/** JMH benchmarks and the ingot command-line tool. */
module dev.ingot.bench {
    requires dev.ingot.ops;
    requires dev.ingot.serve;
    requires HdrHistogram;
    requires java.net.http;
    requires info.picocli;
    requires jmh.core;
    requires io.netty.buffer;
    requires jdk.incubator.vector;
    requires org.knowm.xchart;
    requires java.desktop;
    requires jdk.management;

    exports dev.ingot.bench;
    exports dev.ingot.bench.latency;
    opens dev.ingot.bench.cli to info.picocli;
}
