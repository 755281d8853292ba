package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.BackendSettings;
import io.nexus.eventbus.internal.YamlConfigReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The whole Nexus configuration, as given in code or in a YAML file with {@code ${ENV_VAR}} substitution. Every key
 * of the seed's configuration has a place here and a meaning:
 *
 * <pre>{@code
 * nexus:
 *   backend: postgres              # memory | postgres (durable; default) | redis | rabbitmq (relays)
 *   max_queue_size: 10000          # memory backend only: bounded queue; emit blocks, then fails, when full
 *   emit_timeout: 5s               # memory backend only: how long emit waits for room in a full queue
 *   worker_count: 4                # memory bus dispatch threads; ProjectionDaemon worker threads
 *   retry_attempts: 3              # durable subscriptions: retries before dead-lettering
 *   retry_delay: 1s                # first retry delay (ms, s, m, h, or ISO-8601 such as PT1S)
 *   exponential_backoff: true      # double the delay on each retry
 *   batch_size: 100                # events read per round trip
 *   flush_interval: 100ms          # polling interval when no notification arrives
 *   persistence: true              # false with backend memory (nothing kept), true with every other backend
 *   retention_days: 0              # 0 keeps events forever; > 0: EventBuses runs EventRetention hourly
 *   metrics: true                  # record Micrometer meters (EventBuses: in Metrics.globalRegistry)
 *   tracing: true                  # stamp correlation and causation ids on events emitted while handling another
 *   postgres:
 *     url: ${NEXUS_DB_URL}
 *     user: ${NEXUS_DB_USER:-nexus}
 *     password: ${NEXUS_DB_PASSWORD:-}
 *     schema: nexus
 *   redis:
 *     url: redis://localhost:6379
 *     stream: nexus-events
 *     consumer_group: nexus
 *     max_length: 1000000
 *   rabbitmq:
 *     uri: amqp://guest:guest@localhost:5672/
 *     exchange: nexus.events
 * }</pre>
 *
 * <p>{@code ${NAME}} takes the environment variable NAME and fails when it is unset; {@code ${NAME:-default}} falls
 * back to the default. Substitution happens inside values only, after parsing, so a variable can never change the
 * file's structure. Unknown keys are refused (a typo should not silently fall back to a default). Immutable.
 *
 * <p><b>Every key does what it says, or is refused.</b> The memory backend keeps nothing and retries nothing: with it,
 * {@code persistence: true}, {@code retention_days} above 0 and a value other than the default for {@code
 * retry_attempts}, {@code retry_delay}, {@code exponential_backoff}, {@code batch_size} or {@code flush_interval} are
 * refused here, when the configuration is made. The PostgreSQL bus (backends {@code postgres}, {@code redis}, {@code
 * rabbitmq}) has no queue: a value other than the default for {@code max_queue_size} or {@code emit_timeout} is
 * refused when the bus is built ({@link EventBuses}, {@link PostgresEventBus.Builder#config(BusConfig)}). Each refusal
 * is an {@link IllegalArgumentException} naming the key, its value and what is expected.
 *
 * @param backend which bus backend to run
 * @param bus the settings the backends share
 * @param persistence whether events are kept (must be true for every backend but {@code memory})
 * @param retentionDays default age in days after which the retention job may remove events; 0 keeps them forever
 * @param tracing whether events emitted while handling another inherit its correlation id and take its event id as
 *     causation id
 * @param postgres the database, required for the {@code postgres} backend
 * @param redis the Redis relay settings, required for the {@code redis} backend
 * @param rabbitMq the RabbitMQ relay settings, required for the {@link Backend#RABBITMQ} backend
 */
public record NexusConfig(
        Backend backend,
        BusConfig bus,
        boolean persistence,
        int retentionDays,
        boolean tracing,
        @Nullable Postgres postgres,
        @Nullable Redis redis,
        @Nullable RabbitMq rabbitMq) {

    /** Default {@link #backend()}: the durable PostgreSQL backend. */
    public static final Backend DEFAULT_BACKEND = Backend.POSTGRES;
    /** Default {@link #retentionDays()}: keep events forever. */
    public static final int DEFAULT_RETENTION_DAYS = 0;
    /** Default {@link #tracing()}: on. */
    public static final boolean DEFAULT_TRACING = true;

    /** Where events go. */
    public enum Backend {
        /** In-process, nothing kept. */
        MEMORY,
        /** Durable: the PostgreSQL event store and its global order. */
        POSTGRES,
        /** The PostgreSQL store, relayed to Redis Streams with consumer groups. */
        REDIS,
        /** The PostgreSQL store, relayed to a RabbitMQ exchange. */
        RABBITMQ
    }

    /** The database: JDBC URL, credentials and the event store schema. */
    public record Postgres(
            String url, @Nullable String user, @Nullable String password, String schema) {
        /**
         * Checks the settings.
         *
         * @param url a {@code jdbc:postgresql:} URL
         * @param user the user, or null to take the URL's
         * @param password the password, or null to take the URL's
         * @param schema the event store schema
         * @throws IllegalArgumentException if the URL is not a PostgreSQL one
         */
        public Postgres {
            requireNonNull(url, "postgres.url");
            if (!url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("postgres.url must be a jdbc:postgresql: URL, was '" + url + "'");
            }
            requireNonNull(schema, "postgres.schema");
        }
    }

    /** Redis Streams: server URL, stream key, consumer group and the approximate maximum stream length. */
    public record Redis(String url, String stream, String consumerGroup, long maxLength) {
        /**
         * Checks the settings.
         *
         * @param url a {@code redis://} or {@code rediss://} URL
         * @param stream the stream key events are relayed to
         * @param consumerGroup the consumer group of the application's consumers
         * @param maxLength the approximate most entries kept in the stream; 0 never trims
         * @throws IllegalArgumentException if the URL's scheme is wrong or {@code maxLength} is negative
         */
        public Redis {
            requireNonNull(url, "redis.url");
            if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
                throw new IllegalArgumentException(
                        "redis.url must start with redis:// or rediss://, was '" + url + "'");
            }
            requireNonNull(stream, "redis.stream");
            requireNonNull(consumerGroup, "redis.consumer_group");
            if (maxLength < 0) {
                throw new IllegalArgumentException("redis.max_length must be >= 0 (0: no trimming), was " + maxLength);
            }
        }
    }

    /** RabbitMQ: server URI and the topic exchange events are published to. */
    public record RabbitMq(String uri, String exchange) {
        /**
         * Checks the settings.
         *
         * @param uri an {@code amqp://} or {@code amqps://} URI
         * @param exchange the topic exchange events are published to
         * @throws IllegalArgumentException if the URI's scheme is wrong
         */
        public RabbitMq {
            requireNonNull(uri, "rabbitmq.uri");
            if (!uri.startsWith("amqp://") && !uri.startsWith("amqps://")) {
                throw new IllegalArgumentException(
                        "rabbitmq.uri must start with amqp:// or amqps://, was '" + uri + "'");
            }
            requireNonNull(exchange, "rabbitmq.exchange");
        }
    }

    /**
     * Checks that the settings fit together.
     *
     * @param backend which bus backend to run
     * @param bus the settings the backends share
     * @param persistence whether events are kept (must be true for every backend but {@code memory})
     * @param retentionDays default age in days after which the retention job may remove events; 0 keeps them forever
     * @param tracing whether events emitted while handling another inherit its correlation id and take its event id as
     *     causation id
     * @param postgres the database, required for the {@code postgres} backend
     * @param redis the Redis relay settings, required for the {@code redis} backend
     * @param rabbitMq the RabbitMQ relay settings, required for the {@link Backend#RABBITMQ} backend
     * @throws IllegalArgumentException naming the setting that does not fit
     */
    public NexusConfig {
        requireNonNull(backend, "backend");
        requireNonNull(bus, "bus");
        if (retentionDays < 0) {
            throw new IllegalArgumentException(
                    "retention_days must be >= 0 (0 keeps events forever), was " + retentionDays);
        }
        if (!persistence && backend != Backend.MEMORY) {
            throw new IllegalArgumentException("persistence: false needs backend: memory; the "
                    + backend.name().toLowerCase(Locale.ROOT) + " backend always keeps events");
        }
        if (backend == Backend.MEMORY) {
            if (persistence) {
                throw new IllegalArgumentException("persistence: true needs backend postgres (or redis, rabbitmq);"
                        + " the memory backend keeps nothing, so set persistence: false or choose a durable backend");
            }
            if (retentionDays != DEFAULT_RETENTION_DAYS) {
                throw new IllegalArgumentException("retention_days is " + retentionDays + ", but the memory backend"
                        + " keeps no events to remove; leave it at 0 or choose a durable backend");
            }
            BackendSettings.checkMemory(bus);
        }
        if (backend != Backend.MEMORY && postgres == null) {
            throw new IllegalArgumentException(
                    "backend " + backend.name().toLowerCase(Locale.ROOT) + " needs a postgres: section (url, schema)");
        }
        if (backend == Backend.REDIS && redis == null) {
            throw new IllegalArgumentException("backend redis needs a redis: section");
        }
        if (backend == Backend.RABBITMQ && rabbitMq == null) {
            throw new IllegalArgumentException("backend rabbitmq needs a rabbitmq: section");
        }
    }

    /** {@return an in-memory configuration with every default} */
    public static NexusConfig memory() {
        return new NexusConfig(
                Backend.MEMORY, BusConfig.defaults(), false, DEFAULT_RETENTION_DAYS, DEFAULT_TRACING, null, null, null);
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
     * The Postgres settings, or an exception naming the missing section.
     *
     * @return the {@code postgres} section
     * @throws IllegalStateException if there is none
     */
    public Postgres requirePostgres() {
        return Optional.ofNullable(postgres)
                .orElseThrow(() -> new IllegalStateException("the configuration has no postgres: section"));
    }
}
