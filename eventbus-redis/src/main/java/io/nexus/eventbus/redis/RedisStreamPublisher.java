package io.nexus.eventbus.redis;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.RedisConfig;
import io.nexus.eventbus.relay.RelayBuilder;
import io.nexus.eventbus.relay.RelayPublisher;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.json.EventEnvelopeJson;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * Relays events to a Redis stream: each {@link #handle(RecordedEvent)} appends one entry with {@code XADD} (see the
 * package documentation for its fields), optionally trimming the stream to about {@link Builder#maxLength(long)}
 * entries with {@code MAXLEN ~}. Plug it in as the listener of a durable subscription:
 *
 * <pre>{@code
 * RedisStreamPublisher relay = RedisStreamPublisher.builder("redis://127.0.0.1:6379")
 *         .streamKey("orders:events")   // default: DEFAULT_STREAM_KEY
 *         .maxLength(1_000_000)         // default: no trimming
 *         .build();
 * }</pre>
 *
 * <p>{@code handle} returns only after Redis answered the {@code XADD}; if Redis is unreachable it throws, so the
 * subscription retries the event. A retried event may be appended twice; consumers deduplicate on the event id.
 * Durability of an acknowledged entry is whatever the server's persistence settings (AOF, RDB, replicas) give.
 *
 * <p>Thread-safe: it holds a pool of connections, created lazily. Close it to release them.
 */
public final class RedisStreamPublisher implements RelayPublisher {
    /** Default {@link Builder#streamKey(String)}: {@code nexus:events}. */
    public static final String DEFAULT_STREAM_KEY = "nexus:events";
    /** Default {@link Builder#maxLength(long)}: 0, no trimming. */
    public static final long DEFAULT_MAX_LENGTH = 0;

    /** The entry field holding the event id, so consumers can deduplicate without parsing the envelope. */
    public static final String FIELD_EVENT_ID = "eventId";
    /** The entry field holding the event type name. */
    public static final String FIELD_TYPE = "type";
    /** The entry field holding the JSON envelope. */
    public static final String FIELD_ENVELOPE = "envelope";

    static final String URL_FORM = "a redis://host:port or rediss://host:port URL";
    static final Set<String> URL_SCHEMES = Set.of("redis", "rediss");

    private final RedisClient client;
    private final String streamKey;
    private final long maxLength;
    private final EventEnvelopeJson codec;

    private RedisStreamPublisher(Builder builder, URI redisUrl, EventEnvelopeJson codec) {
        this.streamKey = builder.streamKey;
        this.maxLength = builder.maxLength;
        this.codec = codec;
        this.client = RedisClients.create(redisUrl, builder.poolSize);
    }

    /**
     * A builder for a publisher to the Redis server at {@code redisUrl}.
     *
     * @param redisUrl {@code redis://[user:password@]host:port[/database]}, or {@code rediss://} for TLS
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if it is not such a URL
     */
    public static Builder builder(String redisUrl) {
        return new Builder(redisUrl);
    }

    /** Appends {@code event} to the stream; see {@link #publish(RecordedEvent)}. */
    @Override
    public void handle(RecordedEvent event) {
        publish(event);
    }

    /**
     * Appends {@code event} to the stream and returns the entry id Redis gave it.
     *
     * @param event the event to relay
     * @return the entry id Redis gave the new entry
     * @throws io.nexus.eventstore.core.EventSerializationException if the payload cannot be written as JSON
     * @throws redis.clients.jedis.exceptions.JedisException if Redis cannot be reached or refuses the entry
     */
    public String publish(RecordedEvent event) {
        requireNonNull(event, "event");
        String envelope = codec.encode(event);
        XAddParams params = XAddParams.xAddParams();
        if (maxLength > 0) {
            params.maxLen(maxLength).approximateTrimming();
        }
        return client.xadd(
                        streamKey,
                        params,
                        Map.of(
                                FIELD_EVENT_ID,
                                event.eventId().toString(),
                                FIELD_TYPE,
                                event.type(),
                                FIELD_ENVELOPE,
                                envelope))
                .toString();
    }

    /** {@return the key of the stream this publisher appends to} */
    public String streamKey() {
        return streamKey;
    }

    /** The most connections of its pool, as its Jedis pool says (for tests). */
    int poolMaxTotal() {
        return client.getPool().getMaxTotal();
    }

    /** Closes the connection pool. Idempotent. */
    @Override
    public void close() {
        client.close();
    }

    /** Collects the publisher's settings, checking each as it is set; not thread-safe. */
    public static final class Builder extends RelayBuilder<Builder> {
        private String streamKey = DEFAULT_STREAM_KEY;
        private long maxLength = DEFAULT_MAX_LENGTH;
        private int poolSize = RedisConfig.DEFAULT_POOL_SIZE;

        private Builder(String redisUrl) {
            super("redisUrl", redisUrl, URL_FORM, URL_SCHEMES);
        }

        /**
         * The stream to append to; non-blank. Default: {@value #DEFAULT_STREAM_KEY}.
         *
         * @param streamKey the stream key
         * @return this builder
         */
        public Builder streamKey(String streamKey) {
            this.streamKey = name("streamKey", streamKey);
            return this;
        }

        /**
         * Trims the stream to about this many entries on each append ({@code MAXLEN ~}, so Redis may keep a few more);
         * 0 never trims. Trimmed entries are gone for consumers that have not read them yet, so size it well above
         * the slowest group's lag. Default: {@value #DEFAULT_MAX_LENGTH}.
         *
         * @param maxLength the approximate most entries kept, or 0 for no trimming
         * @return this builder
         */
        public Builder maxLength(long maxLength) {
            if (maxLength < 0) {
                throw new IllegalArgumentException("maxLength must be >= 0 (0 = no trimming), was " + maxLength);
            }
            this.maxLength = maxLength;
            return this;
        }

        /**
         * The most connections the publisher opens ({@code redis.pool_size}); appends that find them all busy wait
         * for one. Default: {@link RedisConfig#DEFAULT_POOL_SIZE}.
         *
         * @param poolSize at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1
         */
        public Builder poolSize(int poolSize) {
            this.poolSize = RedisClients.checkPoolSize(poolSize);
            return this;
        }

        /** {@return the publisher; connections are opened on first use} */
        public RedisStreamPublisher build() {
            return new RedisStreamPublisher(this, brokerUri(), codec());
        }
    }
}
