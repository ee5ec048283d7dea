package dev.ingot.ops.internal;

import dev.ingot.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The inputs (or outputs) of one op node, by name, where some are optional: written once, when the execution is
 * created, instead of hand-counted indices such as {@code hasGamma ? 2 : 1}. Immutable and thread-safe.
 *
 * <pre>{@code
 * Slots in = Slots.of("x").optional("gamma", hasGamma).optional("beta", hasBeta);
 * int beta = in.index("beta");                    // -1 when absent
 * MemorySegment b = Slots.segment(inputs, beta);  // null when absent; allocates nothing
 * }</pre>
 */
public final class Slots {
    private final List<String> names;

    private Slots(List<String> names) {
        this.names = List.copyOf(names);
    }

    /**
     * Slots that are always present.
     *
     * @param required the slots always present, in order
     * @return slots holding them
     */
    public static Slots of(String... required) {
        return new Slots(List.of(required));
    }

    /**
     * Adds an optional slot.
     *
     * @param name    the slot
     * @param present whether the node has it
     * @return these slots, followed by {@code name} when present
     */
    public Slots optional(String name, boolean present) {
        if (!present) {
            return this;
        }
        List<String> more = new ArrayList<>(names);
        more.add(name);
        return new Slots(more);
    }

    /**
     * The index of a slot among those present.
     *
     * @param name a slot name
     * @return its index, or -1 when the node does not have it
     */
    public int index(String name) {
        return names.indexOf(name);
    }

    /**
     * Whether a slot is present.
     *
     * @param name a slot name
     * @return whether the node has it
     */
    public boolean has(String name) {
        return names.contains(name);
    }

    /**
     * The number of slots present.
     *
     * @return the number of slots present
     */
    public int count() {
        return names.size();
    }

    /**
     * The present slots' names, for messages.
     *
     * @return the names, comma-separated
     */
    public String names() {
        return String.join(", ", names);
    }

    /**
     * The present slots' names.
     *
     * @return the names, in order
     */
    public List<String> list() {
        return names;
    }

    /**
     * The segment of the tensor in a slot, or null when the slot is absent.
     *
     * @param tensors the node's inputs or outputs
     * @param index   an index from {@link #index}, or -1
     * @return the tensor's segment, or null for -1
     */
    public static MemorySegment segment(List<Tensor> tensors, int index) {
        return index < 0 ? null : tensors.get(index).segment();
    }

    @Override
    public String toString() {
        return names.toString();
    }
}
