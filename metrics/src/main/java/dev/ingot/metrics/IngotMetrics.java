package dev.ingot.metrics;

import dev.ingot.allocator.AllocatorStats;
import dev.ingot.allocator.BufferAllocator;
import dev.ingot.allocator.MemoryBudget;
import dev.ingot.runtime.PipelinePool;
import dev.ingot.runtime.PipelinePoolStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A Micrometer {@link MeterBinder} for ingot's memory and pools. Add the allocators (by name) and pools to watch,
 * then bind it to a registry:
 *
 * <pre>{@code
 * new IngotMetrics()
 *         .allocator("request-bodies", bodies)
 *         .pool("instance-norm", pool)
 *         .bindTo(registry);
 * }</pre>
 *
 * <p>Meters (all tagged {@code allocator=NAME} or {@code pool=NAME}):
 * <ul>
 *   <li>{@code ingot.allocator.memory} gauges in bytes, tagged {@code state}: {@code in_use}, {@code pooled},
 *       {@code reserved}, {@code peak_in_use};</li>
 *   <li>{@code ingot.allocator.allocations} and {@code ingot.allocator.reuses} counters, and the
 *       {@code ingot.allocator.reuse.rate} gauge (reuses / allocations, 0 to 1);</li>
 *   <li>{@code ingot.allocator.limit.refusals}: allocations refused by the allocator's limit or budget;</li>
 *   <li>{@code ingot.budget.memory} gauges in bytes (tag {@code budget=NAME}, {@code state}: {@code reserved},
 *       {@code peak}, {@code limit}) and the {@code ingot.budget.refusals} counter, for a {@link MemoryBudget}
 *       such as a backend's ({@code CpuBackend.memoryBudget()});</li>
 *   <li>for a {@link PipelinePool}: {@code ingot.pool.acquisitions}, {@code ingot.pool.waits},
 *       {@code ingot.pool.timeouts}, {@code ingot.pool.planned} and {@code ingot.pool.evicted} counters, and the
 *       {@code ingot.pool.leased} and {@code ingot.pool.pipelines} gauges.</li>
 * </ul>
 * Each meter reads its allocator's or pool's figures when the registry asks (at a scrape), so binding costs nothing
 * on the hot path. The binder holds its allocators and pools strongly; remove the meters from the registry before
 * closing them.
 *
 * <p>Not thread-safe while it is being filled; {@link #bindTo} may then be called from any thread, and the meters
 * it registers may be read from any thread.
 */
public final class IngotMetrics implements MeterBinder {

    private record Watched<T>(String name, T source) {
    }

    private final List<Watched<Supplier<AllocatorStats>>> allocators = new ArrayList<>();
    private final List<Watched<Supplier<Long>>> refusals = new ArrayList<>();
    private final List<Watched<PipelinePool>> pools = new ArrayList<>();
    private final List<Watched<MemoryBudget>> budgets = new ArrayList<>();
    private final Tags common;

    /** A binder with no common tags. */
    public IngotMetrics() {
        this(Tags.empty());
    }

    /**
     * A binder whose meters all carry {@code commonTags} too.
     *
     * @param commonTags tags for every meter, for example the service's name
     * @throws IllegalArgumentException when {@code commonTags} is null
     */
    public IngotMetrics(Iterable<Tag> commonTags) {
        if (commonTags == null) {
            throw new IllegalArgumentException("commonTags: expected tags, got null");
        }
        this.common = Tags.of(commonTags);
    }

    /**
     * Watches an allocator under {@code name}: its accounting and its limit refusals.
     *
     * @param name      the {@code allocator} tag's value
     * @param allocator the allocator
     * @return this binder
     * @throws IllegalArgumentException when an argument is null or blank
     */
    public IngotMetrics allocator(String name, BufferAllocator allocator) {
        checkName(name);
        if (allocator == null) {
            throw new IllegalArgumentException("allocator: expected an allocator, got null");
        }
        allocators.add(new Watched<>(name, allocator::stats));
        refusals.add(new Watched<>(name, allocator::limitRefusals));
        return this;
    }

    /**
     * Watches accounting that comes from elsewhere (for example the sum of several pipelines' dynamic allocators)
     * under {@code name}. No refusal counter is registered for it.
     *
     * @param name  the {@code allocator} tag's value
     * @param stats gives the current figures; called at each scrape, from any thread
     * @return this binder
     * @throws IllegalArgumentException when an argument is null or blank
     */
    public IngotMetrics allocatorStats(String name, Supplier<AllocatorStats> stats) {
        checkName(name);
        if (stats == null) {
            throw new IllegalArgumentException("stats: expected a supplier, got null");
        }
        allocators.add(new Watched<>(name, stats));
        return this;
    }

    /**
     * Watches a memory budget under {@code name}: what it has reserved, its peak, its limit and its refusals.
     *
     * @param name   the {@code budget} tag's value
     * @param budget the budget, for example {@code backend.memoryBudget()}
     * @return this binder
     * @throws IllegalArgumentException when an argument is null or blank
     */
    public IngotMetrics budget(String name, MemoryBudget budget) {
        checkName(name);
        if (budget == null) {
            throw new IllegalArgumentException("budget: expected a budget, got null");
        }
        budgets.add(new Watched<>(name, budget));
        return this;
    }

    /**
     * Watches a pool under {@code name}.
     *
     * @param name the {@code pool} tag's value
     * @param pool the pool; its figures are read ({@link PipelinePool#stats()}) at each scrape
     * @return this binder
     * @throws IllegalArgumentException when an argument is null or blank
     */
    public IngotMetrics pool(String name, PipelinePool pool) {
        checkName(name);
        if (pool == null) {
            throw new IllegalArgumentException("pool: expected a pipeline pool, got null");
        }
        pools.add(new Watched<>(name, pool));
        return this;
    }

    /**
     * Registers the meters of every allocator and pool added so far.
     *
     * @param registry the registry
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        for (Watched<Supplier<AllocatorStats>> watched : allocators) {
            Tags tags = common.and("allocator", watched.name());
            Supplier<AllocatorStats> stats = watched.source();
            memory(registry, tags, "in_use", stats, AllocatorStats::inUse);
            memory(registry, tags, "pooled", stats, AllocatorStats::pooled);
            memory(registry, tags, "reserved", stats, AllocatorStats::reserved);
            memory(registry, tags, "peak_in_use", stats, AllocatorStats::peakInUse);
            FunctionCounter.builder("ingot.allocator.allocations", stats, s -> s.get().allocations())
                    .description("successful allocations").tags(tags).register(registry);
            FunctionCounter.builder("ingot.allocator.reuses", stats, s -> s.get().reuses())
                    .description("allocations served from the free list").tags(tags).register(registry);
            Gauge.builder("ingot.allocator.reuse.rate", stats, s -> s.get().reuseRate())
                    .description("fraction of allocations served from the free list").tags(tags).register(registry);
        }
        for (Watched<Supplier<Long>> watched : refusals) {
            FunctionCounter.builder("ingot.allocator.limit.refusals", watched.source(), s -> s.get())
                    .description("allocations refused by the allocator's limit")
                    .tags(common.and("allocator", watched.name())).register(registry);
        }
        for (Watched<MemoryBudget> watched : budgets) {
            Tags tags = common.and("budget", watched.name());
            MemoryBudget budget = watched.source();
            Gauge.builder("ingot.budget.memory", budget, MemoryBudget::reserved).description("budget memory by state")
                    .baseUnit("bytes").tags(tags.and("state", "reserved")).register(registry);
            Gauge.builder("ingot.budget.memory", budget, MemoryBudget::peak).description("budget memory by state")
                    .baseUnit("bytes").tags(tags.and("state", "peak")).register(registry);
            Gauge.builder("ingot.budget.memory", budget, b -> b.limit() == Long.MAX_VALUE ? Double.NaN : b.limit())
                    .description("budget memory by state").baseUnit("bytes").tags(tags.and("state", "limit"))
                    .register(registry);
            FunctionCounter.builder("ingot.budget.refusals", budget, MemoryBudget::refusals)
                    .description("reservations refused by the budget's limit").tags(tags).register(registry);
        }
        for (Watched<PipelinePool> watched : pools) {
            Tags tags = common.and("pool", watched.name());
            PipelinePool pool = watched.source();
            poolCounter(registry, tags, pool, "ingot.pool.acquisitions", "leases handed out",
                    PipelinePoolStats::acquires);
            poolCounter(registry, tags, pool, "ingot.pool.waits", "acquisitions that had to wait",
                    PipelinePoolStats::waits);
            poolCounter(registry, tags, pool, "ingot.pool.timeouts", "acquisitions that timed out",
                    PipelinePoolStats::timeouts);
            poolCounter(registry, tags, pool, "ingot.pool.planned", "pipelines planned", PipelinePoolStats::planned);
            poolCounter(registry, tags, pool, "ingot.pool.evicted", "pipelines closed to make room",
                    PipelinePoolStats::evicted);
            Gauge.builder("ingot.pool.leased", pool, p -> p.stats().leased()).description("pipelines leased now")
                    .tags(tags).register(registry);
            Gauge.builder("ingot.pool.pipelines", pool, p -> p.stats().pipelines())
                    .description("pipelines planned now").tags(tags).register(registry);
        }
    }

    private static void poolCounter(MeterRegistry registry, Tags tags, PipelinePool pool, String name,
                                    String description, ToDoubleFunction<PipelinePoolStats> figure) {
        FunctionCounter.builder(name, pool, p -> figure.applyAsDouble(p.stats())).description(description)
                .tags(tags).register(registry);
    }

    private static void memory(MeterRegistry registry, Tags tags, String state, Supplier<AllocatorStats> stats,
                               ToDoubleFunction<AllocatorStats> figure) {
        Gauge.builder("ingot.allocator.memory", stats, s -> figure.applyAsDouble(s.get()))
                .description("allocator memory by state").baseUnit("bytes").tags(tags.and("state", state))
                .register(registry);
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: expected a non-blank name, got " + (name == null ? "null"
                    : "'" + name + "'"));
        }
    }
}
