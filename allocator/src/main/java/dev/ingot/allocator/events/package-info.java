/**
 * JFR events of the allocators (not exported): block reservation and return, and refusals at the limit.
 * Per-allocation events are deliberately absent: allocation is too hot a path to record.
 */
package dev.ingot.allocator.events;
