package dev.ingot.runtime.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One {@code Pipeline.run()}: its duration (admission wait included), the ops it ran, its input shapes and the
 * threads it was granted. Off unless a recording enables it (one event per run adds up at thousands of runs a
 * second): {@code -XX:StartFlightRecording:+dev.ingot.runtime.PipelineRun#enabled=true} or
 * {@code recording.enable(NAME)}. While off, a run does not create it.
 * Not thread-safe: one instance per run, as every JFR event.
 */
@Name(PipelineRunEvent.NAME)
@Label("Pipeline Run")
@Category({"ingot", "Runtime"})
@Description("One run of a planned pipeline")
@StackTrace(false)
@Enabled(false)
public final class PipelineRunEvent extends Event {
    /** The event's JFR name. */
    public static final String NAME = "dev.ingot.runtime.PipelineRun";

    /** The pipeline's name, {@code pipeline-N} in creation order. */
    @Label("Pipeline")
    public String pipeline;

    /** Ops run. */
    @Label("Ops")
    public int ops;

    /** The input shapes, e.g. {@code [1, 64, 56, 56], [1, 64, 56, 56]}. */
    @Label("Input Shapes")
    public String inputShapes;

    /** Intra-op threads the run was granted by admission. */
    @Label("Threads")
    public int threads;

    /** Time spent waiting for admission to the backend's cores, within the event's duration. */
    @Label("Admission Wait")
    @Timespan(Timespan.NANOSECONDS)
    public long admissionWait;

    /** A new event; {@code Pipeline} fills and commits it. */
    public PipelineRunEvent() {
    }
}
