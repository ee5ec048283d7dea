package dev.ingot.bench.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How ./mvnw, ./ingot and .ci/run pick their JDK: .mvn/find-jdk.sh, run by bash against made-up JDK folders. */
class FindJdkScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("ingot.project.root", ".."), ".mvn", "find-jdk.sh")
            .toAbsolutePath().normalize();

    @TempDir
    Path jvms;

    record Result(int exitCode, String out, String err) {
    }

    @Test
    void keepsJavaHomeWhenItIs25OrNewer() throws Exception {
        Path home = fakeJdk("my-jdk", "25.0.1");
        fakeJdk("newer", "26");
        Result result = find(home.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertEquals(home.toString(), result.out());
    }

    @Test
    void picksTheNewestJdk25PlusWhenJavaHomeIsOlder() throws Exception {
        Path old = fakeJdk("java-17", "17.0.15");
        fakeJdk("java-21", "21.0.2");
        fakeJdk("temurin-25", "25.0.3");
        Path newest = fakeJdk("jdk-26", "26-ea");
        Result result = find(old.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertEquals(newest.toString(), result.out());
    }

    @Test
    void failsWithOneSentenceWhenThereIsNone() throws Exception {
        fakeJdk("java-17", "17.0.15");
        Files.createDirectories(jvms.resolve("not-a-jdk"));
        Result result = find("");
        assertEquals(1, result.exitCode());
        List<String> lines = result.err().lines().toList();
        assertEquals(1, lines.size(), result.err());
        assertTrue(lines.getFirst().contains("JDK 25 or newer") && lines.getFirst().contains("JAVA_HOME"),
                result.err());
    }

    private Path fakeJdk(String name, String version) throws IOException {
        Path home = jvms.resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Path javac = Files.writeString(home.resolve("bin/javac"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(javac, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    private Result find(String javaHome) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c",
                ". \"$1\" && ingot_find_jdk && printf '%s' \"$JAVA_HOME\"", "find-jdk", SCRIPT.toString());
        builder.environment().put("INGOT_JVM_DIR", jvms.toString());
        builder.environment().put("JAVA_HOME", javaHome);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the script finished");
        return new Result(process.exitValue(), out, err);
    }
}
