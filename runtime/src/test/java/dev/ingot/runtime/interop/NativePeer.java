package dev.ingot.runtime.interop;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A C library of the tests ({@code src/test/c/NAME.c}), compiled once per test JVM with the system's C compiler
 * ({@code cc}, or {@code $CC}) into {@code target/native}. Where no compiler works, {@link #skipReason()} says why
 * and the tests that need it are skipped.
 */
final class NativePeer {

    private static NativePeer dlpack;

    private final SymbolLookup symbols;
    private final String skipReason;

    private NativePeer(SymbolLookup symbols, String skipReason) {
        this.symbols = symbols;
        this.skipReason = skipReason;
    }

    /** The DLPack peer ({@code dlpack_peer.c}), compiled once per test JVM. */
    static synchronized NativePeer dlpack() {
        if (dlpack == null) {
            dlpack = compile("dlpack_peer");
        }
        return dlpack;
    }

    /** Compiles and loads {@code src/test/c/<name>.c}; never throws. */
    static NativePeer compile(String name) {
        Path source = Path.of("src", "test", "c", name + ".c");
        Path library = Path.of("target", "native", "lib" + name + ".so");
        String compiler = System.getenv().getOrDefault("CC", "cc");
        try {
            Files.createDirectories(library.getParent());
            Process process = new ProcessBuilder(compiler, "-shared", "-fPIC", "-pthread", "-O1", "-o",
                    library.toString(), source.toString()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return new NativePeer(null, "the C compiler '" + compiler + "' could not build " + source + ": "
                        + output.strip());
            }
            return new NativePeer(SymbolLookup.libraryLookup(library.toAbsolutePath(), Arena.global()), null);
        } catch (IOException e) {
            return new NativePeer(null, "no C compiler: '" + compiler + "' could not be run (" + e.getMessage()
                    + "); the native peer tests need one (set CC to use another)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new NativePeer(null, "interrupted while compiling " + source);
        }
    }

    /** Why the peer is missing, or null when it is loaded. */
    String skipReason() {
        return skipReason;
    }

    /** A downcall handle to a function of the library. */
    @SuppressWarnings("restricted")
    MethodHandle function(String name, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(symbols.find(name).orElseThrow(), descriptor);
    }
}
