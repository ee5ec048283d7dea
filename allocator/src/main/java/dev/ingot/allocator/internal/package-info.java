/**
 * The deferred planner's placement algorithms (not exported). Depends on nothing else of the allocator module, so
 * the public package uses it and never the other way round.
 */
package dev.ingot.allocator.internal;
