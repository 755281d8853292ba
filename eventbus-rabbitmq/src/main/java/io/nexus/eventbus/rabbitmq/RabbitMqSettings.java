package io.nexus.eventbus.rabbitmq;

import static java.util.Objects.requireNonNull;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/** RabbitMQ's rules for names and URIs, and the connection set-up shared by the publisher and the consumer. */
final class RabbitMqSettings {
    static final String URI_FORM = "an amqp://[user:password@]host[:port][/vhost] or amqps:// URI";
    static final Set<String> URI_SCHEMES = Set.of("amqp", "amqps");

    private RabbitMqSettings() {}

    static String name(String what, String value) {
        requireNonNull(value, what);
        if (value.isBlank() || value.length() > 255 || !value.strip().equals(value)) {
            throw new IllegalArgumentException(
                    what + " must be 1 to 255 characters without surrounding whitespace, " + "was '" + value + "'");
        }
        if (value.startsWith("amq.") && what.equals("queue")) {
            throw new IllegalArgumentException(
                    what + " must not start with the reserved prefix 'amq.', was '" + value + "'");
        }
        return value;
    }

    /**
     * A connection with automatic recovery (the client's default), named for the broker's management UI. A URI whose
     * path is a bare {@code /} (as in the common {@code amqp://guest:guest@host:5672/}) means the default virtual host
     * {@code /}, not the empty one the AMQP URI spec would read, which RabbitMQ never has.
     */
    static Connection connect(URI uri, String connectionName) {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(uri);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot use AMQP URI '" + redacted(uri) + "'", e);
        }
        if (factory.getVirtualHost().isEmpty()) {
            factory.setVirtualHost("/");
        }
        // Every second rather than the client's 5 s: a broker restart should cost the bus little time.
        factory.setNetworkRecoveryInterval(1_000);
        try {
            return factory.newConnection(connectionName);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to RabbitMQ at " + redacted(uri), e);
        } catch (TimeoutException e) {
            throw new UncheckedIOException(
                    "cannot connect to RabbitMQ at " + redacted(uri), new IOException(e.getMessage(), e));
        }
    }

    /** The URI without its password, for messages. */
    static String redacted(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }
}
