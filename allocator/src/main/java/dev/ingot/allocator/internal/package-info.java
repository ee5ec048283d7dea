/**
 * Implementations behind the public factories (not exported): the segment sources and the offset planner.
 */
package dev.ingot.allocator.internal;
