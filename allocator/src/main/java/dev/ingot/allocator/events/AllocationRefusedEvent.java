package dev.ingot.allocator.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** An allocation was refused because it would have taken the allocator past its limit. */
@Name("dev.ingot.allocator.AllocationRefused")
@Label("Allocation Refused")
@Category({"ingot", "Allocator"})
@Description("An allocation would have exceeded the allocator's limit and was refused")
public final class AllocationRefusedEvent extends Event {
    /** An event to fill in and commit; JFR drops it when no recording wants it. */
    public AllocationRefusedEvent() {
    }

    /** The allocator's name. */
    @Label("Allocator")
    public String allocator;

    /** Bytes the refused call asked for. */
    @Label("Requested")
    @DataAmount
    public long requested;

    /** Bytes in use when it refused. */
    @Label("In Use")
    @DataAmount
    public long inUse;

    /** Bytes reserved from the source when it refused. */
    @Label("Reserved")
    @DataAmount
    public long reserved;

    /** The limit in force, in bytes. */
    @Label("Limit")
    @DataAmount
    public long limit;
}
