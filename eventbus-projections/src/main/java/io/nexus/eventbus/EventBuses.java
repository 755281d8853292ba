package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nexus.eventbus.internal.BackendSettings;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.eventstore.jdbc.ScheduledRetention;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ServiceLoader;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Turns a {@link NexusConfig} (for instance read from YAML) into a running bus.
 *
 * <pre>{@code
 * try (EventBus bus = EventBuses.create(NexusConfig.fromYaml(Path.of("nexus.yaml")))) {
 *     bus.subscribe("user.*", event -> welcome(event), 10);
 *     bus.emit(NewEvent.of("user.registered", new UserRegistered("ada")));
 * }
 * }</pre>
 *
 * <p>Thread-safe (stateless).
 */
public final class EventBuses {
    private static final Logger LOG = System.getLogger(EventBuses.class.getName());

    private static final Object DEFAULT_REGISTRY_LOCK = new Object();

    /** How often the retention job of {@code event_retention_days} runs: {@code PT1H}. */
    public static final Duration RETENTION_INTERVAL = Duration.ofHours(1);

    private EventBuses() {}

    /**
     * Builds and starts the bus {@code config} describes:
     *
     * <ul>
     *   <li>{@code memory}: a {@link MemoryEventBus} with {@link NexusConfig#bus()} and {@link NexusConfig#tracing()};
     *   <li>{@code postgres}: a {@link PostgresEventBus} with the same settings, on a HikariCP pool of {@link
     *       PostgresConfig#poolSize()} connections (application name {@code nexus-bus-<schema>}) opened on {@link
     *       NexusConfig#postgres()}'s URL, user and password, in its schema. The bus owns the pool and closes it in
     *       {@link EventBus#close()}. The schema must already hold the event store: migrate it first with {@code
     *       io.nexus.migrations.EventStoreSchema.migrate(dataSource, schema)} (module {@code nexus-migrations}), which
     *       this factory does not do, so that an application's schema changes stay under its own control.
     *   <li>{@code redis} and {@code rabbitmq}: a {@link BrokerEventBus} on the broker's transport, which the module
     *       {@code io.nexus:nexus-eventbus-redis} or {@code io.nexus:nexus-eventbus-rabbitmq} provides (found with
     *       {@link java.util.ServiceLoader} as a {@link BrokerBackend}; without the module on the classpath this call
     *       fails naming it). With {@code persist_events: true}, its events are appended to the PostgreSQL store first
     *       (a {@link PostgresEventBus} made as for {@code postgres}, owned by the returned bus) and the broker
     *       carries committed events only; without, the broker is the only copy.
     * </ul>
     *
     * <p>With {@link NexusConfig#retentionDays()} above 0, the bus also runs the retention job: events older than that
     * many days are removed at start and every hour by {@link EventRetention} (never one that a durable subscription,
     * projection or saga has not processed; each run is logged with what it held back), which needs the schema owner's role
     * (configure that user, or leave {@code retention_days} at 0 and schedule {@code EventRetention} yourself).
     *
     * <p>With {@code metrics} on (the default), the bus records its meters in {@link #defaultMeterRegistry()}.
     *
     * <p>The bus's pool waits at most {@link PostgresEventStore#DEFAULT_CONNECT_TIMEOUT} (5 s) for a connection, so a
     * database that is down fails this call, and later emits, after that long rather than HikariCP's 30 s.
     *
     * @param config the configuration, such as {@link NexusConfig#fromYaml(java.nio.file.Path)} reads
     * @return the started bus; close it to stop it
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached (its message names
     *     host, port and database, never the password)
     * @throws io.nexus.eventstore.core.SchemaNotMigratedException if the schema holds no event store (its message
     *     names the migrate call and command)
     * @throws IllegalArgumentException if the PostgreSQL bus is given a {@code max_queue_size} or {@code emit_timeout}
     *     other than the default, which it cannot honour
     */
    public static EventBus create(NexusConfig config) {
        return create(config, null);
    }

    /**
     * As {@link #create(NexusConfig)}, recording the bus's meters (see {@link MemoryEventBus.Builder#meterRegistry}
     * and {@link PostgresEventBus}) in {@code meterRegistry} when {@code metrics} ({@link BusConfig#metricsEnabled()})
     * is on. Without a registry (null), they go to {@link #defaultMeterRegistry()}, so that {@code metrics: true} in a
     * configuration file records them with no code.
     *
     * @param config the configuration
     * @param meterRegistry where meters go, or null for {@link #defaultMeterRegistry()}
     * @return the started bus; close it to stop it
     */
    public static EventBus create(NexusConfig config, @Nullable MeterRegistry meterRegistry) {
        requireNonNull(config, "config");
        config.inactiveSettings()
                .forEach(setting -> LOG.log(Level.INFO, "configuration setting without effect: " + setting));
        if (config.backend() == NexusConfig.Backend.MEMORY) {
            MemoryEventBus.Builder memory = MemoryEventBus.builder()
                    .config(BackendSettings.forMemory(config.bus()))
                    .tracing(config.tracing());
            MeterRegistry meters = meterRegistry(config, meterRegistry);
            if (meters != null) {
                memory.meterRegistry(meters);
            }
            return memory.build();
        }
        if (config.backend() == NexusConfig.Backend.POSTGRES) {
            return createPostgres(config, meterRegistry);
        }
        return createBroker(config, meterRegistry);
    }

    /**
     * The {@link BrokerEventBus} of a {@code redis} or {@code rabbitmq} configuration; see {@link #create(NexusConfig)}.
     *
     * @param config the configuration, with backend {@code redis} or {@code rabbitmq}
     * @param meterRegistry where meters go, or null for {@link #defaultMeterRegistry()}
     * @return the started bus; close it to stop it
     * @throws IllegalArgumentException if the backend is not a broker
     * @throws IllegalStateException if the broker's module is not on the classpath (the message names the artifact)
     * @throws BrokerUnavailableException if the broker cannot be reached
     */
    public static BrokerEventBus createBroker(NexusConfig config, @Nullable MeterRegistry meterRegistry) {
        requireNonNull(config, "config");
        return createBroker(config, meterRegistry, storeSettings -> createPostgres(config, storeSettings, null));
    }

    /**
     * As {@link #createBroker(NexusConfig, MeterRegistry)}, but with {@code persist_events} the events are appended
     * to {@code store} on {@code dataSource}, which the caller owns (an application's pool, as the Spring Boot
     * starter has), instead of a pool this factory opens on the {@code postgresql:} block's URL. The retention job is
     * not run here: the pool's owner runs {@link EventRetention} with the schema owner's role.
     *
     * @param config the configuration, with backend {@code redis} or {@code rabbitmq}
     * @param store the store {@code persist_events} appends to; not closed by the bus
     * @param dataSource the store's pool, for the bus's subscriptions; not closed by the bus
     * @param meterRegistry where meters go, or null for {@link #defaultMeterRegistry()}
     * @return the started bus; close it to stop it
     * @throws IllegalArgumentException if the backend is not a broker
     * @throws IllegalStateException if the broker's module is not on the classpath (the message names the artifact)
     * @throws BrokerUnavailableException if the broker cannot be reached
     */
    public static BrokerEventBus createBroker(
            NexusConfig config,
            PostgresEventStore store,
            DataSource dataSource,
            @Nullable MeterRegistry meterRegistry) {
        requireNonNull(config, "config");
        requireNonNull(store, "store");
        requireNonNull(dataSource, "dataSource");
        return createBroker(config, meterRegistry, storeSettings -> {
            BackendSettings.checkPostgres(storeSettings);
            return PostgresEventBus.builder(store, dataSource)
                    .config(storeSettings)
                    .tracing(config.tracing())
                    .build();
        });
    }

    private static BrokerEventBus createBroker(
            NexusConfig config, @Nullable MeterRegistry meterRegistry, Function<BusConfig, PostgresEventBus> storeBus) {
        BrokerTransport transport = brokerBackend(config.backend()).transport(config);
        try {
            BusConfig settings = config.persistence() ? config.bus() : BackendSettings.forMemory(config.bus());
            BrokerEventBus.Builder builder =
                    BrokerEventBus.builder(transport).config(settings).tracing(config.tracing());
            MeterRegistry meters = meterRegistry(config, meterRegistry);
            if (meters != null) {
                builder.meterRegistry(meters);
            }
            if (!config.persistence()) {
                return builder.build();
            }
            // The store's bus has no queue and records no meters of its own: the broker bus counts each event once.
            BusConfig storeSettings = config.bus().toBuilder()
                    .maxQueueSize(BusConfig.DEFAULT_MAX_QUEUE_SIZE)
                    .emitTimeout(BusConfig.DEFAULT_EMIT_TIMEOUT)
                    .metricsEnabled(false)
                    .build();
            PostgresEventBus store = storeBus.apply(storeSettings);
            try {
                return builder.persistence(store).owning(store).build();
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
        } catch (RuntimeException e) {
            transport.close();
            throw e;
        }
    }

    /** The {@link BrokerBackend} of {@code backend}, from the classpath. */
    private static BrokerBackend brokerBackend(NexusConfig.Backend backend) {
        if (backend != NexusConfig.Backend.REDIS && backend != NexusConfig.Backend.RABBITMQ) {
            throw new IllegalArgumentException(
                    "backend " + backend.key() + " is not a broker; expected redis or rabbitmq");
        }
        for (BrokerBackend candidate : ServiceLoader.load(BrokerBackend.class, EventBuses.class.getClassLoader())) {
            if (candidate.backend() == backend) {
                return candidate;
            }
        }
        throw new IllegalStateException("backend: " + backend.key() + " needs the artifact io.nexus:nexus-eventbus-"
                + backend.key() + " on the classpath (it carries the " + backend.key()
                + " transport); add that dependency");
    }

    /**
     * Where a bus made here records its meters when it is given no registry: Micrometer's {@link
     * Metrics#globalRegistry}, where an application (or Spring Boot) adds the registry it exports, such as Prometheus.
     * A composite with no registry drops every value, so when the global registry has none yet, a {@link
     * SimpleMeterRegistry} is added to it first (once per process), which keeps the values in memory for reading
     * through {@code Metrics.globalRegistry}; a registry added later receives the meters too.
     *
     * @return Micrometer's global registry, with a {@link SimpleMeterRegistry} in it if it had none
     */
    public static MeterRegistry defaultMeterRegistry() {
        synchronized (DEFAULT_REGISTRY_LOCK) {
            if (Metrics.globalRegistry.getRegistries().isEmpty()) {
                Metrics.addRegistry(new SimpleMeterRegistry());
            }
        }
        return Metrics.globalRegistry;
    }

    private static @Nullable MeterRegistry meterRegistry(NexusConfig config, @Nullable MeterRegistry given) {
        if (!config.bus().metricsEnabled()) {
            return null;
        }
        return given != null ? given : defaultMeterRegistry();
    }

    /**
     * The {@link PostgresEventBus} of {@code config}, whatever its backend; see {@link #create(NexusConfig)}.
     *
     * @param config the configuration, with a {@code postgres} section
     * @return the started bus; close it to stop it
     * @throws IllegalStateException if {@code config} has no {@code postgres} section
     */
    public static PostgresEventBus createPostgres(NexusConfig config) {
        return createPostgres(config, null);
    }

    /**
     * The {@link PostgresEventBus} of {@code config}, recording its meters (when {@link BusConfig#metricsEnabled()})
     * in {@code meterRegistry} or, when it is null, in {@link #defaultMeterRegistry()}; see {@link
     * #create(NexusConfig)}.
     *
     * @param config the configuration, with a {@code postgres} section
     * @param meterRegistry where meters go, or null for none
     * @return the started bus; close it to stop it
     * @throws IllegalStateException if {@code config} has no {@code postgres} section
     * @throws IllegalArgumentException if {@code max_queue_size} or {@code emit_timeout} differs from its default: the
     *     PostgreSQL bus has no queue (checked before any connection is opened)
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached
     * @throws io.nexus.eventstore.core.SchemaNotMigratedException if the schema holds no event store
     */
    public static PostgresEventBus createPostgres(NexusConfig config, @Nullable MeterRegistry meterRegistry) {
        requireNonNull(config, "config");
        return createPostgres(config, config.bus(), meterRegistry(config, meterRegistry));
    }

    private static PostgresEventBus createPostgres(
            NexusConfig config, BusConfig settings, @Nullable MeterRegistry meters) {
        PostgresConfig postgres = config.requirePostgres();
        BackendSettings.checkPostgres(settings);
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(postgres.jdbcUrl());
        if (postgres.user() != null) {
            hikari.setUsername(postgres.user());
        }
        if (postgres.password() != null) {
            hikari.setPassword(postgres.password());
        }
        hikari.setMaximumPoolSize(postgres.poolSize());
        hikari.setAutoCommit(postgres.autoCommit());
        hikari.setPoolName("nexus-bus-" + postgres.schema());
        hikari.addDataSourceProperty("ApplicationName", "nexus-bus-" + postgres.schema()); // shown in pg_stat_activity
        // The pool starts without a connection and the bus's first read of the head reaches the database instead:
        // its failure is the store's typed exception naming host, port and database (HikariCP's own start failure
        // is an untyped PoolInitializationException), or SchemaNotMigratedException when the schema is empty.
        hikari.setInitializationFailTimeout(-1);
        hikari.setConnectionTimeout(PostgresEventStore.DEFAULT_CONNECT_TIMEOUT.toMillis());
        String seconds = Long.toString(PostgresEventStore.DEFAULT_CONNECT_TIMEOUT.toSeconds());
        hikari.addDataSourceProperty("connectTimeout", seconds);
        hikari.addDataSourceProperty("loginTimeout", seconds);
        HikariDataSource pool = new HikariDataSource(hikari);
        @Nullable ScheduledRetention retention = retentionJob(config, pool);
        PostgresEventStore store;
        try {
            store = PostgresEventStore.builder(pool)
                    .schema(postgres.schema())
                    .notifications(postgres.headNotifications())
                    .build();
        } catch (RuntimeException e) {
            stop(retention);
            pool.close();
            throw e;
        }
        try {
            PostgresEventBus.Builder builder = PostgresEventBus.builder(store, pool)
                    .config(settings)
                    .tracing(config.tracing())
                    .owning(() -> {
                        stop(retention);
                        store.close();
                        pool.close();
                    });
            if (meters != null) {
                builder.meterRegistry(meters);
            }
            return builder.build();
        } catch (RuntimeException e) {
            stop(retention);
            store.close();
            pool.close();
            throw e;
        }
    }

    /**
     * The cleanup job of {@code retention_days}: when it is above 0, {@link EventRetention} removes events older than
     * that many days once at start and then every {@link #RETENTION_INTERVAL}, never one a durable subscription,
     * projection or saga has not processed yet, and logs each run's report. Removal needs the schema owner's role (the
     * runtime role may not delete events); with another role each run fails and logs why. Null when it is 0.
     */
    private static @Nullable ScheduledRetention retentionJob(NexusConfig config, DataSource dataSource) {
        if (config.retentionDays() <= 0) {
            return null;
        }
        return EventRetention.create(dataSource, config.requirePostgres().schema())
                .schedule(RetentionPolicy.maxAge(Duration.ofDays(config.retentionDays())), RETENTION_INTERVAL);
    }

    private static void stop(@Nullable ScheduledRetention retention) {
        if (retention != null) {
            retention.close();
        }
    }
}
