package io.nexus.eventbus.internal;

import io.nexus.eventbus.BusConfig;
import java.util.List;
import java.util.function.Function;

/**
 * Which {@link BusConfig} settings each backend cannot honour. A setting a backend would ignore is refused when it
 * differs from its default, so that a value somebody chose never silently does nothing; the default itself passes, as
 * every {@code BusConfig} carries one.
 */
public final class BackendSettings {
    /** One setting: its YAML key, its {@link BusConfig} component, and why the backend cannot honour it. */
    private record Rule(
            String key, String component, Function<BusConfig, Object> value, Object defaultValue, String why) {
        void check(BusConfig config, String bus) {
            Object actual = value.apply(config);
            if (!actual.equals(defaultValue)) {
                throw new IllegalArgumentException(key + " (" + component + ") is " + actual + ", but " + bus
                        + " cannot honour it: " + why + "; leave it at its default " + defaultValue);
            }
        }
    }

    private static final String MEMORY_DOES_NOT_RETRY = "a listener of the memory backend runs once per event and is"
            + " never retried (retries and dead letters belong to durable subscriptions)";
    private static final String MEMORY_DOES_NOT_READ = "the memory backend hands each event to its listeners from its"
            + " queue and reads no store (batches and polling belong to the PostgreSQL bus)";

    private static final List<Rule> MEMORY = List.of(
            new Rule(
                    "retry_attempts",
                    "retryAttempts",
                    BusConfig::retryAttempts,
                    BusConfig.DEFAULT_RETRY_ATTEMPTS,
                    MEMORY_DOES_NOT_RETRY),
            new Rule(
                    "retry_delay",
                    "retryDelay",
                    BusConfig::retryDelay,
                    BusConfig.DEFAULT_RETRY_DELAY,
                    MEMORY_DOES_NOT_RETRY),
            new Rule(
                    "exponential_backoff",
                    "exponentialBackoff",
                    BusConfig::exponentialBackoff,
                    BusConfig.DEFAULT_EXPONENTIAL_BACKOFF,
                    MEMORY_DOES_NOT_RETRY),
            new Rule(
                    "batch_size",
                    "batchSize",
                    BusConfig::batchSize,
                    BusConfig.DEFAULT_BATCH_SIZE,
                    MEMORY_DOES_NOT_READ),
            new Rule(
                    "flush_interval",
                    "flushInterval",
                    BusConfig::flushInterval,
                    BusConfig.DEFAULT_FLUSH_INTERVAL,
                    MEMORY_DOES_NOT_READ));

    private static final List<Rule> POSTGRES = List.of(
            new Rule(
                    "max_queue_size",
                    "maxQueueSize",
                    BusConfig::maxQueueSize,
                    BusConfig.DEFAULT_MAX_QUEUE_SIZE,
                    "its emit appends to the store and returns after the commit, so no event waits in a queue of the"
                            + " bus (the queue bound applies to backend memory)"),
            new Rule(
                    "emit_timeout",
                    "emitTimeout",
                    BusConfig::emitTimeout,
                    BusConfig.DEFAULT_EMIT_TIMEOUT,
                    "its emit waits for the database (bounded by the connection pool's timeout), never for queue"
                            + " space (the timeout applies to backend memory)"));

    private static final String BROKER_EMIT =
            "its emit returns once the broker (or, with persistence, the store) accepted the event; it never waits for"
                    + " queue space (the timeout applies to backend memory)";
    private static final String BROKER_READS_NO_STORE = "without persistence it reads no store (batches and polling"
            + " belong to the PostgreSQL store, used with persist_events: true)";

    private static final List<Rule> BROKER = List.of(new Rule(
            "emit_timeout", "emitTimeout", BusConfig::emitTimeout, BusConfig.DEFAULT_EMIT_TIMEOUT, BROKER_EMIT));

    private static final List<Rule> BROKER_WITHOUT_STORE = List.of(
            new Rule(
                    "batch_size",
                    "batchSize",
                    BusConfig::batchSize,
                    BusConfig.DEFAULT_BATCH_SIZE,
                    BROKER_READS_NO_STORE),
            new Rule(
                    "flush_interval",
                    "flushInterval",
                    BusConfig::flushInterval,
                    BusConfig.DEFAULT_FLUSH_INTERVAL,
                    BROKER_READS_NO_STORE));

    private BackendSettings() {}

    /**
     * Refuses settings the memory bus would ignore.
     *
     * @throws IllegalArgumentException naming the first such setting, its value and its default
     */
    public static void checkMemory(BusConfig config) {
        MEMORY.forEach(rule -> rule.check(config, "the memory bus (backend memory)"));
    }

    /**
     * Refuses the retry settings the memory bus would ignore; a configuration file may set the store's reading keys
     * ({@code batch_size}, {@code flush_interval}) without a store, as the seed design's own block does.
     *
     * @throws IllegalArgumentException naming the first such setting, its value and its default
     */
    public static void checkMemoryRetries(BusConfig config) {
        MEMORY.stream()
                .filter(rule -> rule.why().equals(MEMORY_DOES_NOT_RETRY))
                .forEach(rule -> rule.check(config, "the memory bus (backend memory)"));
    }

    /**
     * {@return the store-reading settings of {@code config} that a bus without persistence (memory, or a broker with
     * {@code persist_events: false}) does not use, one line each}
     */
    public static List<String> inactiveOnMemory(BusConfig config, String backend) {
        return MEMORY.stream()
                .filter(rule -> rule.why().equals(MEMORY_DOES_NOT_READ))
                .filter(rule -> !rule.value().apply(config).equals(rule.defaultValue()))
                .map(rule -> rule.key() + " (" + rule.value().apply(config) + "): backend " + backend
                        + (backend.equals("memory") ? "" : " with persist_events: false") + " reads no store")
                .toList();
    }

    /** {@return {@code config} with the settings of {@link #inactiveOnMemory} back at their defaults} */
    public static BusConfig forMemory(BusConfig config) {
        return config.toBuilder()
                .batchSize(BusConfig.DEFAULT_BATCH_SIZE)
                .flushInterval(BusConfig.DEFAULT_FLUSH_INTERVAL)
                .build();
    }

    /**
     * Refuses settings the PostgreSQL bus would ignore (also for the {@code redis} and {@code rabbitmq} backends,
     * which run it).
     *
     * @throws IllegalArgumentException naming the first such setting, its value and its default
     */
    public static void checkPostgres(BusConfig config) {
        POSTGRES.forEach(rule -> rule.check(config, "the PostgreSQL bus (backends postgres, redis, rabbitmq)"));
    }

    /**
     * Refuses settings a broker bus (backends {@code redis}, {@code rabbitmq}) would ignore.
     *
     * @throws IllegalArgumentException naming the first such setting, its value and its default
     */
    public static void checkBroker(BusConfig config, boolean persistent) {
        String bus = "the broker bus (backends redis, rabbitmq)";
        BROKER.forEach(rule -> rule.check(config, bus));
        if (!persistent) {
            BROKER_WITHOUT_STORE.forEach(rule -> rule.check(config, bus + " without persistence"));
        }
    }
}
