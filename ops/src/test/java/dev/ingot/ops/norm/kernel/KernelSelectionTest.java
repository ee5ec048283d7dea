package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.KernelInfo;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import org.junit.jupiter.api.Test;

/**
 * The kernels this JVM picked follow the vector module's presence and {@code -Dingot.kernels}. The build runs this
 * test in three JVMs: the default one (Vector API), one with {@code -Dingot.kernels=scalar}, and one without
 * {@code --add-modules jdk.incubator.vector}; the golden and pipeline tests run in all three.
 */
class KernelSelectionTest {

    @Test
    void choiceFollowsTheModuleAndTheProperty() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean forcedScalar = System.getProperty(Kernels.PROPERTY, "").equals("scalar");
        assertEquals(module, Kernels.vector().isPresent(), "vector kernels load exactly when the module is present");
        KernelInfo info = KernelInfo.current();
        if (module && !forcedScalar) {
            assertEquals("VectorPlaneKernels", Kernels.plane().getClass().getSimpleName());
            assertEquals("VectorRowKernels", Kernels.selected().rows().getClass().getSimpleName());
            assertEquals("vector", info.name());
            assertTrue(info.vectorBits() >= 128, info.summary());
        } else {
            assertInstanceOf(ScalarKernelSet.class, Kernels.selected());
            assertEquals("scalar", info.name());
            assertEquals(0, info.vectorBits());
            assertFalse(info.fma(), "the scalar kernels never fuse");
            assertTrue(info.reason().contains(module ? "-Dingot.kernels=scalar" : Kernels.ADD_MODULES), info.reason());
        }
        assertEquals(Kernels.selected().caches().l3Bytes(), info.l3CacheBytes());
        assertTrue(info.summary().startsWith(info.name()), info.summary());
    }

    @Test
    void aMissingModuleIsLoggedOnceAtWarningNamingTheFlag() {
        RecordingLogger log = new RecordingLogger();
        KernelSet first = Kernels.choose("", false, false, log);
        KernelSet second = Kernels.choose("vector", false, false, log);
        assertEquals("scalar", first.name());
        assertEquals("scalar", second.name());
        assertTrue(first.reason().contains(Kernels.ADD_MODULES), first.reason());
        // this JVM has warned already when it runs without the module: never more than once
        boolean warnedBefore = !ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(warnedBefore ? 0 : 1, log.count(System.Logger.Level.WARNING), log.messages::toString);
        assertEquals(2, log.messages.size(), log.messages::toString);
        assertTrue(log.messages.stream().allMatch(m -> m.contains(Kernels.ADD_MODULES)), log.messages::toString);
    }

    @Test
    void forcedScalarIsLoggedWithItsCauseAndNotAsAWarning() {
        KernelSet set = Kernels.lookup("scalar", false);
        assertEquals("scalar", set.name());
        assertTrue(set.reason().contains("-D" + Kernels.PROPERTY + "=scalar"), set.reason());
        assertTrue(set.toString().startsWith("scalar (ScalarPlaneKernels+ScalarRowKernels)"), set.toString());
        RecordingLogger log = new RecordingLogger();
        Kernels.choose("scalar", false, true, log);
        assertEquals(0, log.count(System.Logger.Level.WARNING), log.messages::toString);
        assertEquals(1, log.count(System.Logger.Level.INFO), log.messages::toString);
    }

    /** Keeps the level and text of every message logged at DEBUG or above. */
    private static final class RecordingLogger implements System.Logger {
        final List<String> messages = new ArrayList<>();
        final List<Level> levels = new ArrayList<>();

        long count(Level level) {
            return levels.stream().filter(l -> l == level).count();
        }

        @Override
        public String getName() {
            return "recording";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            levels.add(level);
            messages.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            levels.add(level);
            messages.add(params == null || params.length == 0 ? format : MessageFormat.format(format, params));
        }
    }
}
