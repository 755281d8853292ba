package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.Secrets;
import io.nexus.eventbus.internal.ServerUrl;
import io.nexus.eventbus.internal.YamlConfigReader;
import org.jspecify.annotations.Nullable;

/**
 * The {@code rabbitmq:} block of the configuration, in the style of the seed design's {@code redis:} block. The block
 * may give the broker as {@code host}, {@code port}, {@code username}, {@code password}, {@code virtual_host} and
 * {@code ssl}, or as one {@code url} ({@code amqp://user:password@host:port/vhost}, {@code amqps://} for TLS; the
 * older key {@code uri} is accepted), not both. {@link #toString()} never shows the password. Immutable.
 *
 * @param host the broker's host ({@code host}, default {@value #DEFAULT_HOST})
 * @param port the broker's port ({@code port}, default {@value #DEFAULT_PORT}, 5671 with {@code ssl})
 * @param username the user, or null for the client's default ({@code guest})
 * @param password the password, or null for the client's default
 * @param virtualHost the virtual host ({@code virtual_host}, default {@value #DEFAULT_VIRTUAL_HOST})
 * @param ssl whether to connect with TLS ({@code ssl}, default false)
 * @param exchange the topic exchange events are published to, routed by type ({@code exchange}, default {@value
 *     #DEFAULT_EXCHANGE})
 * @param queuePrefix the prefix of the queues subscribers declare ({@code queue_prefix}, default {@value
 *     #DEFAULT_QUEUE_PREFIX})
 */
public record RabbitMqConfig(
        String host,
        int port,
        @Nullable String username,
        @Nullable String password,
        String virtualHost,
        boolean ssl,
        String exchange,
        String queuePrefix) {

    /** Default {@link #host()}. */
    public static final String DEFAULT_HOST = "localhost";
    /** Default {@link #port()} without TLS. */
    public static final int DEFAULT_PORT = 5672;
    /** Default {@link #port()} with TLS. */
    public static final int DEFAULT_SSL_PORT = 5671;
    /** Default {@link #virtualHost()}. */
    public static final String DEFAULT_VIRTUAL_HOST = "/";
    /** Default {@link #exchange()}. */
    public static final String DEFAULT_EXCHANGE = "nexus.events";
    /** Default {@link #queuePrefix()}. */
    public static final String DEFAULT_QUEUE_PREFIX = "nexus";

    /**
     * Checks the settings.
     *
     * @param host the broker's host
     * @param port the broker's port, 1 to 65535
     * @param username the user, or null
     * @param password the password, or null
     * @param virtualHost the virtual host
     * @param ssl whether to connect with TLS
     * @param exchange the topic exchange
     * @param queuePrefix the prefix of subscribers' queues
     * @throws IllegalArgumentException naming the key whose value is wrong
     */
    public RabbitMqConfig {
        requireNonNull(host, "host");
        requireNonNull(virtualHost, "virtualHost");
        requireNonNull(exchange, "exchange");
        requireNonNull(queuePrefix, "queuePrefix");
        if (host.isBlank()) {
            throw new IllegalArgumentException("rabbitmq.host must not be blank");
        }
        if (exchange.isBlank()) {
            throw new IllegalArgumentException("rabbitmq.exchange must not be blank");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("rabbitmq.port must be 1 to 65535, was " + port);
        }
        if ((username == null) != (password == null)) {
            throw new IllegalArgumentException("rabbitmq.username and rabbitmq.password come together: give both or"
                    + " neither (then the client's default guest account is used)");
        }
    }

    /** {@return a broker on localhost:5672, virtual host {@code /}, default account, default exchange} */
    public static RabbitMqConfig defaults() {
        return new RabbitMqConfig(
                DEFAULT_HOST,
                DEFAULT_PORT,
                null,
                null,
                DEFAULT_VIRTUAL_HOST,
                false,
                DEFAULT_EXCHANGE,
                DEFAULT_QUEUE_PREFIX);
    }

    /**
     * This configuration with another exchange.
     *
     * @param exchange the topic exchange
     * @return the configuration
     */
    public RabbitMqConfig withExchange(String exchange) {
        return new RabbitMqConfig(host, port, username, password, virtualHost, ssl, exchange, queuePrefix);
    }

    /**
     * The broker as an AMQP URI for {@code ConnectionFactory.setUri}, with the password in it: pass it to the client,
     * never to a log.
     *
     * @return {@code amqp://} or {@code amqps://} with user, password, host, port and virtual host
     */
    public String url() {
        return ServerUrl.of(ssl ? "amqps" : "amqp", username, password, host, port, virtualHost);
    }

    /**
     * The server of {@code url} (such as {@code amqp://guest:guest@localhost:5672/}, no variables substituted) with every other setting at its
     * default, as the block {@code url: <url>} reads.
     *
     * @param url the server's URL
     * @return the configuration
     * @throws IllegalArgumentException if the URL is not one of this broker (the message hides its password)
     */
    public static RabbitMqConfig fromUrl(String url) {
        return YamlConfigReader.rabbitMqFromUrl(requireNonNull(url, "url"));
    }

    @Override
    public String toString() {
        return "RabbitMqConfig[host=" + host + ", port=" + port + ", username=" + username + ", password="
                + Secrets.mask(password) + ", virtualHost=" + virtualHost + ", ssl=" + ssl + ", exchange=" + exchange
                + ", queuePrefix=" + queuePrefix + "]";
    }
}
