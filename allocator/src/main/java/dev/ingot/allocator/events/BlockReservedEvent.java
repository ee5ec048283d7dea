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
    /** An event to fill in and commit; JFR drops it when no recording wants it. */
    public BlockReservedEvent() {
    }

    /** The allocator's name. */
    @Label("Allocator")
    public String allocator;

    /** The source's description. */
    @Label("Source")
    public String source;

    /** The block's size in bytes. */
    @Label("Size")
    @DataAmount
    public long bytes;

    /** Bytes reserved from the source after this block. */
    @Label("Reserved After")
    @DataAmount
    public long reservedAfter;
}
