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
    /** An event to fill in and commit; JFR drops it when no recording wants it. */
    public BlockReturnedEvent() {
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
