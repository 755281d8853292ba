package io.nexus.spring.boot;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.Projection;
import io.nexus.eventbus.ProjectionDaemon;
import io.nexus.eventbus.SubscriptionId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.sagas.Saga;
import io.nexus.sagas.SagaWorker;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * Runs what the application declares as beans, in the application's lifecycle: subscribes every {@code @EventHandler}
 * bean to the bus, runs the {@link Projection} beans in one {@link ProjectionDaemon}, and gives every {@link Saga}
 * bean a {@link SagaWorker}. It starts once the context is refreshed (after every singleton exists, before the web
 * server takes requests) and stops before the context closes its beans: workers finish their current batch and
 * release their leases, so another instance takes over at once, and handlers are unsubscribed.
 *
 * <p>Thread-safe: Spring calls {@code start} and {@code stop} one at a time.
 */
public final class NexusWorkers implements SmartLifecycle {
    /** The phase: before the web server (which starts at {@code DEFAULT_PHASE - 2048}), so it stops after it. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final EventBus bus;
    private final Supplier<List<Object>> handlers;
    private final @Nullable PostgresEventStore store;
    private final @Nullable DataSource dataSource;
    private final Supplier<List<Projection>> projections;
    private final Supplier<List<Saga<?>>> sagas;
    private final BusConfig config;
    private final @Nullable MeterRegistry meterRegistry;

    private final List<SubscriptionId> subscriptions = new ArrayList<>();
    private final List<AutoCloseable> running = new ArrayList<>();
    private @Nullable ProjectionDaemon daemon;
    private volatile boolean started;

    /**
     * Workers for the given beans.
     *
     * @param bus the bus that handlers subscribe to
     * @param handlers the beans with {@code @EventHandler} methods, asked for at start, once every bean exists
     * @param store the store projections and sagas read, or null when there is none (no DataSource)
     * @param dataSource the store's pool, or null with no store
     * @param projections the projection beans, asked for at start
     * @param sagas the saga beans, asked for at start
     * @param config worker count, batch size, retries and polling interval
     * @param meterRegistry where the projection daemon records its meters, or null for none
     */
    public NexusWorkers(
            EventBus bus,
            Supplier<List<Object>> handlers,
            @Nullable PostgresEventStore store,
            @Nullable DataSource dataSource,
            Supplier<List<Projection>> projections,
            Supplier<List<Saga<?>>> sagas,
            BusConfig config,
            @Nullable MeterRegistry meterRegistry) {
        this.bus = requireNonNull(bus, "bus");
        this.handlers = requireNonNull(handlers, "handlers");
        this.store = store;
        this.dataSource = dataSource;
        this.projections = requireNonNull(projections, "projections");
        this.sagas = requireNonNull(sagas, "sagas");
        this.config = requireNonNull(config, "config");
        this.meterRegistry = meterRegistry;
    }

    /**
     * Subscribes the handlers and starts the workers.
     *
     * @throws IllegalStateException if there are projection or saga beans but no store (no DataSource bean)
     */
    @Override
    public synchronized void start() {
        if (started) {
            return;
        }
        List<Projection> projections = this.projections.get();
        List<Saga<?>> sagas = this.sagas.get();
        if ((store == null || dataSource == null) && (!projections.isEmpty() || !sagas.isEmpty())) {
            throw new IllegalStateException("projection and saga beans need the PostgreSQL store, which needs a"
                    + " DataSource bean; there is none (projections: " + projections.size() + ", sagas: "
                    + sagas.size() + ")");
        }
        try {
            for (Object handler : handlers.get()) {
                subscriptions.addAll(bus.register(handler));
            }
            if (store != null && dataSource != null) {
                if (!projections.isEmpty()) {
                    ProjectionDaemon.Builder builder =
                            ProjectionDaemon.builder(store, dataSource).config(config);
                    projections.forEach(builder::register);
                    if (meterRegistry != null) {
                        builder.meterRegistry(meterRegistry);
                    }
                    daemon = builder.build().start();
                    running.add(daemon);
                }
                for (Saga<?> saga : sagas) {
                    running.add(SagaWorker.builder(saga, store, dataSource)
                            .config(config)
                            .build()
                            .start());
                }
            }
            started = true;
        } catch (RuntimeException e) {
            stopAll();
            throw e;
        }
    }

    @Override
    public synchronized void stop() {
        stopAll();
    }

    private void stopAll() {
        // Workers first, newest first, so nothing they emit while finishing misses a handler.
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                System.getLogger(NexusWorkers.class.getName())
                        .log(System.Logger.Level.WARNING, "could not stop " + running.get(i) + ": " + e, e);
            }
        }
        running.clear();
        daemon = null;
        subscriptions.forEach(bus::unsubscribe);
        subscriptions.clear();
        started = false;
    }

    @Override
    public boolean isRunning() {
        return started;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * The daemon running the projection beans, to wait for a projection ({@link ProjectionDaemon#awaitProjection}) or
     * rebuild one.
     *
     * @return the daemon while running, empty when there are no projection beans or the workers are stopped
     */
    public synchronized Optional<ProjectionDaemon> projectionDaemon() {
        return Optional.ofNullable(daemon);
    }
}
