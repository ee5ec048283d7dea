/** JMH benchmarks and the ingot command-line tool. */
module dev.ingot.bench {
    requires dev.ingot.ops;
    requires info.picocli;
    requires jmh.core;
    requires io.netty.buffer;
    requires jdk.incubator.vector;
    requires org.knowm.xchart;
    requires java.desktop;
    requires jdk.management;
    requires jdk.jfr;

    exports dev.ingot.bench;
    opens dev.ingot.bench.cli to info.picocli;
}
