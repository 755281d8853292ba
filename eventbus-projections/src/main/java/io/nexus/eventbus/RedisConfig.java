package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.Secrets;
import io.nexus.eventbus.internal.ServerUrl;
import io.nexus.eventbus.internal.YamlConfigReader;
import org.jspecify.annotations.Nullable;

/**
 * The {@code redis:} block of the configuration, with the seed design's keys and defaults. The block may give the
 * server as {@code host}, {@code port}, {@code password}, {@code database} and {@code ssl}, or as one {@code url}
 * ({@code redis://[[user]:password@]host[:port][/database]}, {@code rediss://} for TLS), not both. {@link
 * #toString()} never shows the password. Immutable.
 *
 * @param host the server's host ({@code host}, default {@value #DEFAULT_HOST})
 * @param port the server's port ({@code port}, default {@value #DEFAULT_PORT})
 * @param username the ACL user, or null for the default user (only through {@code url})
 * @param password the password, or null for none ({@code password})
 * @param database the logical database number ({@code database}, default 0)
 * @param ssl whether to connect with TLS ({@code ssl}, default false)
 * @param poolSize the most connections a client pool opens ({@code pool_size}, default {@value #DEFAULT_POOL_SIZE})
 * @param channelPrefix the prefix of the Pub/Sub channels, one per event type ({@code channel_prefix}, default
 *     {@value #DEFAULT_CHANNEL_PREFIX})
 * @param streamName the stream key for durable delivery ({@code stream_name}, default {@value #DEFAULT_STREAM_NAME};
 *     the older key {@code stream} is accepted)
 * @param consumerGroup the consumer group reading the stream ({@code consumer_group}, default {@value
 *     #DEFAULT_CONSUMER_GROUP})
 * @param maxStreamLength the approximate most entries kept in the stream, 0 never trims ({@code max_stream_length},
 *     default {@value #DEFAULT_MAX_STREAM_LENGTH}; the older key {@code max_length} is accepted)
 */
public record RedisConfig(
        String host,
        int port,
        @Nullable String username,
        @Nullable String password,
        int database,
        boolean ssl,
        int poolSize,
        String channelPrefix,
        String streamName,
        String consumerGroup,
        long maxStreamLength) {

    /** Default {@link #host()}. */
    public static final String DEFAULT_HOST = "localhost";
    /** Default {@link #port()}. */
    public static final int DEFAULT_PORT = 6379;
    /** Default {@link #poolSize()}. */
    public static final int DEFAULT_POOL_SIZE = 10;
    /** Default {@link #channelPrefix()}, as in the seed design. */
    public static final String DEFAULT_CHANNEL_PREFIX = "nexus:events";
    /** Default {@link #streamName()}, as in the seed design. */
    public static final String DEFAULT_STREAM_NAME = "nexus:event_stream";
    /** Default {@link #consumerGroup()}, as in the seed design. */
    public static final String DEFAULT_CONSUMER_GROUP = "nexus:processors";
    /** Default {@link #maxStreamLength()}, as in the seed design. */
    public static final long DEFAULT_MAX_STREAM_LENGTH = 100_000;

    /**
     * Checks the settings.
     *
     * @param host the server's host
     * @param port the server's port, 1 to 65535
     * @param username the ACL user, or null
     * @param password the password, or null
     * @param database the logical database number, at least 0
     * @param ssl whether to connect with TLS
     * @param poolSize the most connections a client pool opens, at least 1
     * @param channelPrefix the prefix of the Pub/Sub channels
     * @param streamName the stream key
     * @param consumerGroup the consumer group
     * @param maxStreamLength the approximate most entries kept in the stream, 0 never trims
     * @throws IllegalArgumentException naming the key whose value is wrong
     */
    public RedisConfig {
        requireNonNull(host, "host");
        requireNonNull(channelPrefix, "channelPrefix");
        requireNonNull(streamName, "streamName");
        requireNonNull(consumerGroup, "consumerGroup");
        requireText("redis.host", host);
        requireText("redis.channel_prefix", channelPrefix);
        requireText("redis.stream_name", streamName);
        requireText("redis.consumer_group", consumerGroup);
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("redis.port must be 1 to 65535, was " + port);
        }
        if (database < 0) {
            throw new IllegalArgumentException("redis.database must be >= 0, was " + database);
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("redis.pool_size must be >= 1, was " + poolSize);
        }
        if (maxStreamLength < 0) {
            throw new IllegalArgumentException(
                    "redis.max_stream_length must be >= 0 (0: no trimming), was " + maxStreamLength);
        }
    }

    private static void requireText(String key, String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(key + " must not be blank");
        }
    }

    /** {@return the seed design's Redis block: localhost:6379, database 0, no password, no TLS} */
    public static RedisConfig defaults() {
        return new RedisConfig(
                DEFAULT_HOST,
                DEFAULT_PORT,
                null,
                null,
                0,
                false,
                DEFAULT_POOL_SIZE,
                DEFAULT_CHANNEL_PREFIX,
                DEFAULT_STREAM_NAME,
                DEFAULT_CONSUMER_GROUP,
                DEFAULT_MAX_STREAM_LENGTH);
    }

    /**
     * This configuration with another stream, group and trimming (the relay's settings).
     *
     * @param streamName the stream key
     * @param consumerGroup the consumer group
     * @param maxStreamLength the approximate most entries kept, 0 never trims
     * @return the configuration
     */
    public RedisConfig withStream(String streamName, String consumerGroup, long maxStreamLength) {
        return new RedisConfig(
                host,
                port,
                username,
                password,
                database,
                ssl,
                poolSize,
                channelPrefix,
                streamName,
                consumerGroup,
                maxStreamLength);
    }

    /**
     * The server as a URL for clients that take one (Jedis, Lettuce), with the password in it: pass it to the client,
     * never to a log.
     *
     * @return {@code redis://} or {@code rediss://} with user, password, host, port and database
     */
    public String url() {
        return ServerUrl.of(ssl ? "rediss" : "redis", username, password, host, port, Integer.toString(database));
    }

    /**
     * The server of {@code url} (such as {@code redis://:secret@cache:6379/0}, no variables substituted) with every other setting at its
     * default, as the block {@code url: <url>} reads.
     *
     * @param url the server's URL
     * @return the configuration
     * @throws IllegalArgumentException if the URL is not one of this broker (the message hides its password)
     */
    public static RedisConfig fromUrl(String url) {
        return YamlConfigReader.redisFromUrl(requireNonNull(url, "url"));
    }

    @Override
    public String toString() {
        return "RedisConfig[host=" + host + ", port=" + port + ", username=" + username + ", password="
                + Secrets.mask(password) + ", database=" + database + ", ssl=" + ssl + ", poolSize=" + poolSize
                + ", channelPrefix=" + channelPrefix + ", streamName=" + streamName + ", consumerGroup="
                + consumerGroup + ", maxStreamLength=" + maxStreamLength + "]";
    }
}
