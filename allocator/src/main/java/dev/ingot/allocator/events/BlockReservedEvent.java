package dev.ingot.allocator.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** An allocator took a block from its source. Blocks are large and rare, so this event is cheap to keep on. */
@Name("dev.ingot.allocator.BlockReserved")
@Label("Block Reserved")
@Category({"ingot", "Allocator"})
@Description("An allocator reserved a block of memory from its segment source")
public final class BlockReservedEvent extends Event {
    @Label("Allocator")
    public String allocator;

    @Label("Source")
    public String source;

    @Label("Size")
    @DataAmount
    public long bytes;

    @Label("Reserved After")
    @DataAmount
    public long reservedAfter;
}
