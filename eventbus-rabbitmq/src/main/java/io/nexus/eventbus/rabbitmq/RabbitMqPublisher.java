package io.nexus.eventbus.rabbitmq;

import static java.util.Objects.requireNonNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.nexus.eventbus.relay.RelayBuilder;
import io.nexus.eventbus.relay.RelayPublisher;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.json.EventEnvelopeJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Relays events to a RabbitMQ topic exchange: each {@link #handle(RecordedEvent)} publishes one persistent message
 * (see the package documentation for its format) with the event's type name as routing key, and returns only once
 * the broker confirmed it. Plug it in as the listener of a durable subscription:
 *
 * <pre>{@code
 * RabbitMqPublisher relay = RabbitMqPublisher.builder("amqp://guest:guest@127.0.0.1:5672/")
 *         .exchange("orders")           // default: DEFAULT_EXCHANGE
 *         .build();                     // connects and declares the durable topic exchange
 * }</pre>
 *
 * <p>When the broker nacks the message, does not confirm it within {@link Builder#confirmTimeout(Duration)}, or
 * cannot be reached, {@code handle} throws, so the subscription retries the event; a retried event may be published
 * twice, and consumers deduplicate on the {@code message-id}. A message that no queue is bound for is confirmed and
 * dropped by the broker, as for any topic exchange: start the consumers (which declare and bind their queues) first.
 *
 * <p>Thread-safe: publishes are serialized on one channel in confirm mode. The connection recovers automatically
 * after a network failure. Close the publisher to close it.
 */
public final class RabbitMqPublisher implements RelayPublisher {
    /** Default {@link Builder#exchange(String)}: {@code nexus.events}. */
    public static final String DEFAULT_EXCHANGE = "nexus.events";
    /** Default {@link Builder#confirmTimeout(Duration)}: 5 seconds. */
    public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(5);

    private static final String CONTENT_TYPE = "application/json";
    private static final int PERSISTENT = 2;

    private final Connection connection;
    private final String exchange;
    private final Duration confirmTimeout;
    private final EventEnvelopeJson codec;
    private @Nullable Channel channel;

    private RabbitMqPublisher(Builder builder, URI uri, EventEnvelopeJson codec) {
        this.exchange = builder.exchange;
        this.confirmTimeout = builder.confirmTimeout;
        this.codec = codec;
        this.connection = RabbitMqSettings.connect(uri, "nexus-publisher-" + exchange);
        try {
            Channel declaring = openChannel();
            declaring.exchangeDeclare(exchange, "topic", true);
            this.channel = declaring;
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e instanceof IOException io
                    ? new UncheckedIOException("cannot declare topic exchange '" + exchange + "'", io)
                    : (RuntimeException) e;
        }
    }

    /**
     * A builder for a publisher to the broker at {@code uri}.
     *
     * @param uri {@code amqp://[user:password@]host[:port][/vhost]}, or {@code amqps://} for TLS; the vhost is
     *     URL-encoded ({@code %2F} for {@code /}), and an empty one (a bare trailing {@code /}) means {@code /}
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if it is not such a URI
     */
    public static Builder builder(String uri) {
        return new Builder(uri);
    }

    /** Publishes {@code event} and waits for the broker's confirm; see {@link #publish(RecordedEvent)}. */
    @Override
    public void handle(RecordedEvent event) {
        publish(event);
    }

    /**
     * Publishes {@code event} to the exchange with its type as routing key, and waits for the broker's confirm.
     *
     * @param event the event to relay
     * @throws io.nexus.eventstore.core.EventSerializationException if the payload cannot be written as JSON
     * @throws UncheckedIOException if the broker cannot be reached, nacks the message or does not confirm it in time
     */
    public synchronized void publish(RecordedEvent event) {
        requireNonNull(event, "event");
        byte[] body = codec.encode(event).getBytes(StandardCharsets.UTF_8);
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType(CONTENT_TYPE)
                .contentEncoding("utf-8")
                .deliveryMode(PERSISTENT)
                .messageId(event.eventId().toString())
                .type(event.type())
                .timestamp(Date.from(event.recordedAt()))
                .correlationId(
                        event.correlationId() == null
                                ? null
                                : event.correlationId().toString())
                .appId(event.source())
                .build();
        try {
            Channel publishing = channel();
            publishing.basicPublish(exchange, event.type(), false, properties, body);
            if (!publishing.waitForConfirms(confirmTimeout.toMillis())) {
                throw new IOException("the broker nacked event " + event.eventId());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot publish event " + event.eventId() + " to exchange '" + exchange + "'", e);
        } catch (ShutdownSignalException e) {
            // the connection is down (and perhaps recovering) or the channel was closed by the broker
            throw new UncheckedIOException(
                    "cannot publish event " + event.eventId() + " to exchange '" + exchange + "'",
                    new IOException(e.getMessage(), e));
        } catch (TimeoutException e) {
            abandonChannel();
            throw new UncheckedIOException(
                    "cannot publish event " + event.eventId() + " to exchange '" + exchange + "'",
                    new IOException("no publisher confirm within " + confirmTimeout, e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(
                    "interrupted while waiting for the confirm of event " + event.eventId(), new IOException(e));
        }
    }

    private Channel channel() throws IOException {
        Channel current = channel;
        if (current == null || !current.isOpen()) {
            // A channel closes on a channel-level error (say, the exchange was deleted); a fresh one lets the next
            // attempt succeed once the cause is gone. A lost connection is recovered by the client itself.
            current = openChannel();
            channel = current;
        }
        return current;
    }

    private Channel openChannel() throws IOException {
        Channel opened = connection.createChannel();
        if (opened == null) {
            throw new IOException("the broker has no channel left on this connection");
        }
        opened.confirmSelect();
        return opened;
    }

    // After a confirm timeout the channel still owes confirms; a fresh channel keeps them from counting for the next
    // message.
    private void abandonChannel() {
        Channel current = channel;
        channel = null;
        if (current != null) {
            try {
                current.abort();
            } catch (IOException | RuntimeException e) {
                // closing a channel we gave up on; nothing to do
            }
        }
    }

    /** {@return the exchange this publisher publishes to} */
    public String exchange() {
        return exchange;
    }

    /** Closes the channel and the connection. Idempotent. */
    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        channel = null;
        if (connection.isOpen()) {
            try {
                connection.close();
            } catch (IOException | RuntimeException e) {
                connection.abort();
            }
        }
    }

    /** Collects the publisher's settings, checking each as it is set; not thread-safe. */
    public static final class Builder extends RelayBuilder<Builder> {
        private String exchange = DEFAULT_EXCHANGE;
        private Duration confirmTimeout = DEFAULT_CONFIRM_TIMEOUT;

        private Builder(String uri) {
            super("uri", uri, RabbitMqSettings.URI_FORM, RabbitMqSettings.URI_SCHEMES);
        }

        /**
         * The topic exchange to publish to, declared durable if it does not exist; 1 to 255 characters. Default:
         * {@value #DEFAULT_EXCHANGE}.
         *
         * @param exchange the exchange name
         * @return this builder
         */
        public Builder exchange(String exchange) {
            this.exchange = RabbitMqSettings.name("exchange", exchange);
            return this;
        }

        /**
         * How long {@code handle} waits for the broker's confirm; at least 1 ms. Default: 5 s.
         *
         * @param confirmTimeout how long to wait for a confirm
         * @return this builder
         */
        public Builder confirmTimeout(Duration confirmTimeout) {
            this.confirmTimeout = positiveMillis("confirmTimeout", confirmTimeout);
            return this;
        }

        /**
         * Connects and declares the exchange.
         *
         * @return the connected publisher
         * @throws UncheckedIOException if the broker cannot be reached or refuses the declaration (for example, an
         *     exchange of that name exists with another type)
         */
        public RabbitMqPublisher build() {
            return new RabbitMqPublisher(this, brokerUri(), codec());
        }
    }
}
