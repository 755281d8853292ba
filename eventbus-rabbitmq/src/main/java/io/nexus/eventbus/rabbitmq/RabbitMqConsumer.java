package io.nexus.eventbus.rabbitmq;

import static java.util.Objects.requireNonNull;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventbus.rabbitmq.internal.TopicBindings;
import io.nexus.eventbus.relay.RelayConsumerBuilder;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.json.EventEnvelopeJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Consumes a durable RabbitMQ queue bound to a {@link RabbitMqPublisher}'s topic exchange, and hands each event to an
 * {@link EventListener}.
 *
 * <pre>{@code
 * RabbitMqConsumer consumer = RabbitMqConsumer.builder("amqp://guest:guest@127.0.0.1:5672/", "billing")
 *         .typePatterns("order.*", "*.error")   // default: every type
 *         .deadLetterExchange("billing.dlx")     // default: requeue failures
 *         .build();
 * consumer.start(event -> billing.apply(event));
 * }</pre>
 *
 * <p><b>Queue.</b> {@link #start} declares the exchange (durable, topic), the queue (durable, not exclusive, not
 * auto-delete, with {@code x-dead-letter-exchange} when one is configured) and one binding per type pattern (see the
 * package documentation for the mapping). Several consumers of one queue, in one process or many, share its messages:
 * each message goes to one of them. Every queue gets every message its bindings route.
 *
 * <p><b>Acknowledgement.</b> A message is acknowledged only after the listener returned normally. When the listener
 * throws or the message is not a decodable envelope, the message is rejected: requeued, and so delivered again at once
 * (possibly to another consumer of the queue), or, with a {@link Builder#deadLetterExchange(String) dead-letter
 * exchange}, routed there by the broker. A message whose type the patterns do not match (see the package
 * documentation) is acknowledged without calling the listener. Messages unacknowledged when a consumer's connection
 * dies are requeued by the broker. Delivery is therefore at least once: deduplicate on {@link
 * RecordedEvent#eventId()} where it matters.
 *
 * <p><b>Threads.</b> The listener is called on the client library's consumer thread, one message at a time per
 * consumer; at most {@link Builder#prefetch(int)} messages are in flight. The connection recovers automatically after
 * a network failure (in-flight messages are then redelivered). {@link #close()} stops consuming; the message being
 * handled finishes first.
 */
public final class RabbitMqConsumer implements AutoCloseable {
    /** Default {@link Builder#exchange(String)}: {@value RabbitMqPublisher#DEFAULT_EXCHANGE}. */
    public static final String DEFAULT_EXCHANGE = RabbitMqPublisher.DEFAULT_EXCHANGE;
    /** Default {@link Builder#prefetch(int)}: 50 unacknowledged messages. */
    public static final int DEFAULT_PREFETCH = 50;
    /** Default {@link Builder#typePatterns(String...)}: {@code *}, every type. */
    public static final String DEFAULT_TYPE_PATTERN = "*";
    /** The largest {@link Builder#prefetch(int)} AMQP allows. */
    public static final int MAX_PREFETCH = 65_535;

    private static final System.Logger LOG = System.getLogger(RabbitMqConsumer.class.getName());

    private final URI uri;
    private final String queue;
    private final String exchange;
    private final List<TypePattern> patterns;
    private final int prefetch;
    private final @Nullable String deadLetterExchange;
    private final EventEnvelopeJson codec;
    private final Object lifecycle = new Object();

    private @Nullable Connection connection;
    private boolean closed;

    private RabbitMqConsumer(Builder builder, URI uri, EventEnvelopeJson codec) {
        this.uri = uri;
        this.queue = builder.queue;
        this.exchange = builder.exchange;
        this.patterns = List.copyOf(builder.patterns);
        this.prefetch = builder.prefetch;
        this.deadLetterExchange = builder.deadLetterExchange;
        this.codec = codec;
    }

    /**
     * A builder for a consumer of queue {@code queue} on the broker at {@code uri}.
     *
     * @param uri {@code amqp://[user:password@]host[:port][/vhost]}, or {@code amqps://} for TLS; the vhost is
     *     URL-encoded ({@code %2F} for {@code /}), and an empty one (a bare trailing {@code /}) means {@code /}
     * @param queue the durable queue to consume; 1 to 255 characters, not starting with {@code amq.}
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if the URI is malformed or the queue name is not allowed
     */
    public static Builder builder(String uri, String queue) {
        return new Builder(uri, queue);
    }

    /**
     * Connects, declares the exchange, the queue and its bindings, and starts delivering messages to {@code
     * listener}.
     *
     * @param listener handles each message's event; a message is acknowledged only after it returns normally
     * @throws IllegalStateException if the consumer was started or closed before
     * @throws UncheckedIOException if the broker cannot be reached or refuses a declaration (for example, the queue
     *     exists with other arguments); nothing is left open then
     */
    public void start(EventListener listener) {
        requireNonNull(listener, "listener");
        synchronized (lifecycle) {
            if (closed || connection != null) {
                throw new IllegalStateException(
                        "consumer of queue '" + queue + "' was already " + (closed ? "closed" : "started"));
            }
            Connection opened = RabbitMqSettings.connect(uri, "nexus-consumer-" + queue);
            try {
                Channel channel = opened.createChannel();
                if (channel == null) {
                    throw new IOException("the broker has no channel left on this connection");
                }
                channel.exchangeDeclare(exchange, "topic", true);
                Map<String, Object> arguments = new HashMap<>();
                if (deadLetterExchange != null) {
                    arguments.put("x-dead-letter-exchange", deadLetterExchange);
                }
                channel.queueDeclare(queue, true, false, false, arguments);
                for (TypePattern pattern : patterns) {
                    channel.queueBind(queue, exchange, TopicBindings.bindingKey(pattern));
                }
                channel.basicQos(prefetch);
                channel.basicConsume(
                        queue,
                        false,
                        (consumerTag, delivery) -> deliver(channel, listener, delivery),
                        consumerTag -> LOG.log(
                                Level.WARNING,
                                "the broker cancelled the consumer of queue '" + queue + "' (was the queue deleted?)"));
            } catch (IOException | RuntimeException e) {
                opened.abort();
                throw e instanceof IOException io
                        ? new UncheckedIOException(
                                "cannot set up queue '" + queue + "' on exchange '" + exchange + "'", io)
                        : (RuntimeException) e;
            }
            connection = opened;
        }
    }

    private void deliver(Channel channel, EventListener listener, Delivery delivery) throws IOException {
        long tag = delivery.getEnvelope().getDeliveryTag();
        List<RecordedEvent> events;
        try {
            events = codec.decodeAll(new String(delivery.getBody(), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.log(
                    Level.ERROR,
                    "cannot decode message " + delivery.getProperties().getMessageId() + " from queue '" + queue + "'; "
                            + rejection(),
                    e);
            reject(channel, tag);
            return;
        }
        // An upcaster may split one message into several events: the listener gets each part its patterns match, in
        // order, and the message is acknowledged once all were handled. When one fails, the whole message is rejected,
        // so a redelivery hands the listener the earlier parts again (at-least-once, as for any redelivery).
        for (RecordedEvent event : events) {
            if (patterns.stream().noneMatch(pattern -> pattern.matches(event.type()))) {
                continue;
            }
            try {
                listener.handle(event);
            } catch (Exception e) {
                LOG.log(
                        Level.WARNING,
                        "listener of queue '" + queue + "' failed on event " + event.eventId() + " of type '"
                                + event.type() + "'; " + rejection(),
                        e);
                reject(channel, tag);
                return;
            }
        }
        channel.basicAck(tag, false);
    }

    private String rejection() {
        return deadLetterExchange == null ? "requeued" : "dead-lettered to exchange '" + deadLetterExchange + "'";
    }

    private void reject(Channel channel, long tag) throws IOException {
        channel.basicNack(tag, false, deadLetterExchange == null);
    }

    /** {@return the queue this consumer consumes} */
    public String queue() {
        return queue;
    }

    /** {@return the type patterns the queue is bound with, in the order given} */
    public List<String> typePatterns() {
        List<String> texts = new ArrayList<>();
        patterns.forEach(pattern -> texts.add(pattern.pattern()));
        return List.copyOf(texts);
    }

    /** {@return the dead-letter exchange failures go to, if one is configured} */
    public Optional<String> deadLetterExchange() {
        return Optional.ofNullable(deadLetterExchange);
    }

    /**
     * Stops consuming and closes the connection, after the message being handled; the broker requeues messages
     * delivered to this consumer but not yet acknowledged. The queue and its bindings stay. Idempotent.
     */
    @Override
    public void close() {
        Connection open;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            open = connection;
        }
        if (open != null && open.isOpen()) {
            try {
                open.close();
            } catch (IOException | RuntimeException e) {
                open.abort();
            }
        }
    }

    /** Collects the consumer's settings, checking each as it is set; not thread-safe. */
    public static final class Builder extends RelayConsumerBuilder<Builder> {
        private final String queue;
        private String exchange = DEFAULT_EXCHANGE;
        private List<TypePattern> patterns = List.of(TypePattern.of(DEFAULT_TYPE_PATTERN));
        private int prefetch = DEFAULT_PREFETCH;
        private @Nullable String deadLetterExchange;

        private Builder(String uri, String queue) {
            super("uri", uri, RabbitMqSettings.URI_FORM, RabbitMqSettings.URI_SCHEMES);
            this.queue = RabbitMqSettings.name("queue", queue);
        }

        /**
         * The topic exchange the queue is bound to, declared durable if missing. Default: {@value #DEFAULT_EXCHANGE}.
         *
         * @param exchange the exchange name
         * @return this builder
         */
        public Builder exchange(String exchange) {
            this.exchange = RabbitMqSettings.name("exchange", exchange);
            return this;
        }

        /**
         * The event types to receive, as {@link TypePattern}s ({@code user.registered}, {@code *}, {@code user.*},
         * {@code *.error}); at least one. Default: {@value #DEFAULT_TYPE_PATTERN}.
         *
         * @param typePatterns the type patterns the queue is bound with
         * @return this builder
         * @throws IllegalArgumentException if none is given or one is malformed, quoting it
         */
        public Builder typePatterns(String... typePatterns) {
            requireNonNull(typePatterns, "typePatterns");
            if (typePatterns.length == 0) {
                throw new IllegalArgumentException("typePatterns must name at least one pattern, was none");
            }
            List<TypePattern> parsed = new ArrayList<>();
            for (String pattern : typePatterns) {
                parsed.add(TypePattern.of(pattern));
            }
            this.patterns = List.copyOf(parsed);
            return this;
        }

        /**
         * How many messages the broker sends ahead of acknowledgements ({@code basic.qos}); 1 to {@value
         * #MAX_PREFETCH}. Default: {@value #DEFAULT_PREFETCH}.
         *
         * @param prefetch the most unacknowledged messages in flight
         * @return this builder
         */
        public Builder prefetch(int prefetch) {
            if (prefetch < 1 || prefetch > MAX_PREFETCH) {
                throw new IllegalArgumentException("prefetch must be 1 to " + MAX_PREFETCH + ", was " + prefetch);
            }
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Rejects failed messages without requeueing, so the broker routes them to {@code deadLetterExchange} (set as
         * the queue's {@code x-dead-letter-exchange} argument; the exchange and a queue bound to it are the caller's).
         * Without it, failed messages are requeued and redelivered at once, without limit. Default: none (requeue).
         *
         * @param deadLetterExchange the exchange failed messages are routed to
         * @return this builder
         */
        public Builder deadLetterExchange(String deadLetterExchange) {
            this.deadLetterExchange = RabbitMqSettings.name("deadLetterExchange", deadLetterExchange);
            return this;
        }

        /** {@return the consumer, not yet connected; see {@link RabbitMqConsumer#start(EventListener)}} */
        public RabbitMqConsumer build() {
            return new RabbitMqConsumer(this, brokerUri(), codec());
        }
    }
}
