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
    @Label("Allocator")
    public String allocator;

    @Label("Requested")
    @DataAmount
    public long requested;

    @Label("In Use")
    @DataAmount
    public long inUse;

    @Label("Reserved")
    @DataAmount
    public long reserved;

    @Label("Limit")
    @DataAmount
    public long limit;
}
