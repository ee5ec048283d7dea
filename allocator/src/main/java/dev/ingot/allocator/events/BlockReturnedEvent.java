package dev.ingot.allocator.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** An allocator gave a block back to its source (release, trim before refusing, or close). */
@Name("dev.ingot.allocator.BlockReturned")
@Label("Block Returned")
@Category({"ingot", "Allocator"})
@Description("An allocator returned a block of memory to its segment source")
public final class BlockReturnedEvent extends Event {
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
