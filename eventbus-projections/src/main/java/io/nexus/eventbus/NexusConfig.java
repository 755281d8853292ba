package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.BackendSettings;
import io.nexus.eventbus.internal.YamlConfigReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The whole Nexus configuration, as given in code or in a YAML file with {@code ${ENV_VAR}} substitution. The file's
 * keys are the seed design's, and both of its blocks load as written:
 *
 * <pre>{@code
 * events:
 *   backend: "memory"              # memory | postgres (durable) | redis | rabbitmq
 *   max_queue_size: 10000          # memory backend: bounded queue; emit blocks, then fails, when full
 *   worker_count: 4                # memory bus dispatch threads; ProjectionDaemon worker threads
 *   retry_attempts: 3              # durable subscriptions: retries before dead-lettering
 *   retry_delay: 1.0               # first retry delay in seconds (or 250ms, 2s, 1m, 1h, PT1S)
 *   exponential_backoff: true      # double the delay on each retry
 *   persist_events: false          # keep events in the PostgreSQL store (needs the postgresql: block)
 *   event_store_backend: "postgresql"
 *   event_retention_days: 30       # 0 keeps events forever; > 0: EventBuses runs EventRetention hourly
 *   batch_size: 100                # events read per round trip
 *   flush_interval: 1.0            # seconds between polls when no notification arrives
 *   enable_metrics: true           # record Micrometer meters (EventBuses: in Metrics.globalRegistry)
 *   enable_tracing: true           # correlation and causation ids on events emitted while handling another
 *   postgresql:                    # PostgresConfig
 *     jdbc_url: ${NEXUS_DB_URL}
 *     user: ${NEXUS_DB_USER:-nexus}
 *     password: ${NEXUS_DB_PASSWORD:-}
 *     schema: nexus
 *     pool_size: 10
 *     notifications: listen        # listen | listen_on_pool | poll
 *   redis:                         # RedisConfig: host, port, password, database, ssl, pool_size, channel_prefix,
 *     host: "localhost"            #   stream_name, consumer_group, max_stream_length; or url
 *   rabbitmq:                      # RabbitMqConfig: host, port, username, password, virtual_host, ssl, exchange,
 *     url: amqp://guest:guest@localhost:5672/   # queue_prefix; or url
 * }</pre>
 *
 * <p>The older Nexus spellings still load: the section {@code nexus:} for {@code events:}, {@code persistence}, {@code
 * retention_days}, {@code metrics}, {@code tracing}, {@code postgres:} with {@code url}, and in {@code redis:} {@code
 * stream} and {@code max_length}, in {@code rabbitmq:} {@code uri}; the design's names are canonical, and giving both
 * spellings of one key is refused. {@code ${NAME}} takes the environment variable NAME and fails when it is unset;
 * {@code ${NAME:-default}} falls back to the default. Substitution happens inside values only, after parsing, so a
 * variable can never change the file's structure. Unknown and duplicate keys are refused; no error or {@code
 * toString} shows a password.
 *
 * <p><b>Every key does what it says, or is refused.</b> The memory backend keeps nothing and retries nothing: with it,
 * {@code persist_events: true} and a value other than the default for {@code retry_attempts}, {@code retry_delay} or
 * {@code exponential_backoff} are refused here. The keys that only concern a store ({@code event_retention_days},
 * {@code batch_size}, {@code flush_interval}) are accepted without one, as the design's own block sets them with
 * {@code persist_events: false}, and {@link #inactiveSettings()} names them so that {@link EventBuses} logs that they
 * have no effect. The PostgreSQL bus has no queue: a value other than the default for {@code max_queue_size} or {@code
 * emit_timeout} is refused when the bus is built ({@link EventBuses}, {@link PostgresEventBus.Builder#config(BusConfig)}).
 * Each refusal is an {@link IllegalArgumentException} naming the key, its value and what is expected.
 *
 * @param backend which bus backend to run ({@code backend})
 * @param bus the settings the backends share
 * @param persistence whether events are kept in the PostgreSQL store ({@code persist_events})
 * @param retentionDays age in days after which the retention job removes events, 0 keeps them forever ({@code
 *     event_retention_days})
 * @param tracing whether events emitted while handling another inherit its correlation id and take its event id as
 *     causation id ({@code enable_tracing})
 * @param postgres the database ({@code postgresql:}), required with {@code persist_events: true}
 * @param redis the Redis settings ({@code redis:}), required for the {@code redis} backend
 * @param rabbitMq the RabbitMQ settings ({@code rabbitmq:}), required for the {@link Backend#RABBITMQ} backend
 */
public record NexusConfig(
        Backend backend,
        BusConfig bus,
        boolean persistence,
        int retentionDays,
        boolean tracing,
        @Nullable PostgresConfig postgres,
        @Nullable RedisConfig redis,
        @Nullable RabbitMqConfig rabbitMq) {

    /** Default {@link #backend()} when the file names none: the durable PostgreSQL backend. */
    public static final Backend DEFAULT_BACKEND = Backend.POSTGRES;
    /** Default {@link #retentionDays()}: keep events forever. */
    public static final int DEFAULT_RETENTION_DAYS = 0;
    /** Default {@link #tracing()}: on. */
    public static final boolean DEFAULT_TRACING = true;

    /** Where events go. */
    public enum Backend {
        /** {@code memory}: in-process, nothing kept. */
        MEMORY,
        /** {@code postgres} (or {@code postgresql}): the PostgreSQL event store and its global order. */
        POSTGRES,
        /** {@code redis}: events travel through Redis. */
        REDIS,
        /** {@code rabbitmq}: events travel through a RabbitMQ exchange. */
        RABBITMQ;

        /** {@return the configuration file's spelling of this backend} */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks that the settings fit together.
     *
     * @param backend which bus backend to run
     * @param bus the settings the backends share
     * @param persistence whether events are kept in the PostgreSQL store
     * @param retentionDays age in days after which the retention job removes events; 0 keeps them forever
     * @param tracing whether events emitted while handling another inherit its correlation id and take its event id as
     *     causation id
     * @param postgres the database, required with {@code persistence}
     * @param redis the Redis settings, required for the {@code redis} backend
     * @param rabbitMq the RabbitMQ settings, required for the {@link Backend#RABBITMQ} backend
     * @throws IllegalArgumentException naming the setting that does not fit
     */
    public NexusConfig {
        requireNonNull(backend, "backend");
        requireNonNull(bus, "bus");
        if (retentionDays < 0) {
            throw new IllegalArgumentException(
                    "event_retention_days must be >= 0 (0 keeps events forever), was " + retentionDays);
        }
        if (backend == Backend.POSTGRES && !persistence) {
            throw new IllegalArgumentException(
                    "persist_events is false, but backend postgres always keeps events; set persist_events: true or"
                            + " choose backend memory, redis or rabbitmq");
        }
        if (backend == Backend.MEMORY) {
            if (persistence) {
                throw new IllegalArgumentException("persist_events is true, but the memory backend keeps nothing;"
                        + " set persist_events: false, or choose backend postgres to keep events in PostgreSQL");
            }
            BackendSettings.checkMemoryRetries(bus);
        }
        if (persistence && postgres == null) {
            throw new IllegalArgumentException("persist_events is true (backend " + backend.key() + "), but there is"
                    + " no postgresql: block; add one with at least jdbc_url");
        }
        if (backend == Backend.REDIS && redis == null) {
            throw new IllegalArgumentException("backend redis needs a redis: block (host and port, or url)");
        }
        if (backend == Backend.RABBITMQ && rabbitMq == null) {
            throw new IllegalArgumentException("backend rabbitmq needs a rabbitmq: block (host and port, or url)");
        }
    }

    /** {@return an in-memory configuration with every default} */
    public static NexusConfig memory() {
        return new NexusConfig(
                Backend.MEMORY, BusConfig.defaults(), false, DEFAULT_RETENTION_DAYS, DEFAULT_TRACING, null, null, null);
    }

    /**
     * A durable configuration on {@code postgres} with every other default.
     *
     * @param postgres the database
     * @return the configuration with backend {@code postgres}
     */
    public static NexusConfig postgres(PostgresConfig postgres) {
        return new NexusConfig(
                Backend.POSTGRES,
                BusConfig.defaults(),
                true,
                DEFAULT_RETENTION_DAYS,
                DEFAULT_TRACING,
                requireNonNull(postgres, "postgres"),
                null,
                null);
    }

    /**
     * The settings that are accepted but have no effect with this backend, each as {@code key (value): why}: without
     * persistence, {@code event_retention_days} above 0 (nothing is kept to remove), and {@code batch_size} and {@code
     * flush_interval} other than their defaults (no store is read). {@link EventBuses} logs
     * them when it builds the bus.
     *
     * @return the inactive settings, empty when every setting takes effect
     */
    public List<String> inactiveSettings() {
        List<String> inactive = new ArrayList<>();
        if (!persistence && retentionDays != DEFAULT_RETENTION_DAYS) {
            inactive.add("event_retention_days (" + retentionDays + "): persist_events is false, no event is kept");
        }
        if (!persistence) {
            inactive.addAll(BackendSettings.inactiveOnMemory(bus, backend.key()));
        }
        return List.copyOf(inactive);
    }

    /**
     * Reads a YAML file, substituting environment variables.
     *
     * @param file the YAML file
     * @return the configuration
     * @throws IllegalArgumentException naming the key and what was expected, for any bad or unknown key, or if the
     *     file cannot be read
     */
    public static NexusConfig fromYaml(Path file) {
        try {
            return fromYaml(Files.readString(file, StandardCharsets.UTF_8), System::getenv);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads YAML text, taking {@code ${NAME}} values from {@code environment}.
     *
     * @param yaml the YAML text
     * @param environment looks up variables; null for an unset one
     * @return the configuration
     * @throws IllegalArgumentException naming the key and what was expected, for any bad or unknown key
     */
    public static NexusConfig fromYaml(String yaml, Function<String, @Nullable String> environment) {
        return YamlConfigReader.read(yaml, environment);
    }

    /**
     * Reads YAML text with variables from {@code environment}; a convenience for tests.
     *
     * @param yaml the YAML text
     * @param environment the variables
     * @return the configuration
     * @throws IllegalArgumentException naming the key and what was expected, for any bad or unknown key
     */
    public static NexusConfig fromYaml(String yaml, Map<String, String> environment) {
        return fromYaml(yaml, environment::get);
    }

    /**
     * The database settings, or an exception naming the missing block.
     *
     * @return the {@code postgresql:} block
     * @throws IllegalStateException if there is none
     */
    public PostgresConfig requirePostgres() {
        return Optional.ofNullable(postgres)
                .orElseThrow(() -> new IllegalStateException("the configuration has no postgresql: block"));
    }
}
