package dev.ingot.runtime;

import dev.ingot.runtime.events.PipelineRunEvent;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineRunEventTest {

    @Test
    void everyRunIsRecordedWithItsOpsShapesAndThreads(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("runs.jfr");
        String name;
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(2, 3, 4));
            Tensor t = b.op(new TestOps.AddConstant(backend, 1, false), x);
            t = b.op(new TestOps.AddConstant(backend, 2, false), t);
            b.output(t);
            try (Pipeline pipeline = b.build()) {
                name = pipeline.name();
                pipeline.run(); // not recorded: no recording yet
                try (Recording recording = new Recording()) {
                    recording.enable(PipelineRunEvent.NAME).withThreshold(java.time.Duration.ZERO);
                    recording.start();
                    pipeline.run();
                    pipeline.run();
                    pipeline.setInputShape(x, Shape.of(5, 6));
                    pipeline.resize();
                    pipeline.run();
                    recording.stop();
                    recording.dump(file);
                }
                pipeline.run(); // not recorded either
            }
        }
        List<RecordedEvent> runs = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(PipelineRunEvent.NAME))
                .filter(e -> name.equals(e.getString("pipeline"))).toList();
        assertEquals(3, runs.size(), runs.toString());
        assertEquals("[2, 3, 4]", runs.get(0).getString("inputShapes"));
        assertEquals("[5, 6]", runs.get(2).getString("inputShapes"));
        for (RecordedEvent run : runs) {
            assertEquals(2, run.getInt("ops"));
            assertEquals(2, run.getInt("threads"), "a run alone gets both cores");
            assertTrue(run.getDuration().toNanos() >= run.getLong("admissionWait"));
        }
    }
}
