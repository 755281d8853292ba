package io.nexus.eventbus.rabbitmq;

import static java.util.Objects.requireNonNull;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.nexus.eventbus.BrokerEventBus;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.BrokerUnavailableException;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The RabbitMQ transport of a {@link BrokerEventBus}: events are published to a durable topic exchange with their type
 * as routing key (persistent messages, publisher confirms), and each process consumes a queue of its own, bound with
 * one binding key per type pattern it listens to ({@code user.#} for {@code user.*}, {@code #.error} for {@code
 * *.error}; see the package documentation).
 *
 * <pre>{@code
 * BrokerTransport rabbit = RabbitMqTransport.builder("amqp://guest:guest@127.0.0.1:5672/")
 *         .exchange("nexus.events")             // default: DEFAULT_EXCHANGE
 *         .build();
 * }</pre>
 *
 * <p><b>The process's queue</b> is durable, named {@code <queue prefix>.bus.<random id>}, and expires {@link
 * Builder#queueExpiry(Duration)} after its process stopped consuming, so that a process that is gone leaves no queue
 * behind for long. Being durable, it survives a broker restart ({@code rabbitmqctl stop_app}/{@code start_app}) with
 * the messages it holds; the client reconnects on its own (every second), declares it again with its bindings, and the
 * bus is told. Events published while the broker is down are refused at {@code emit}. A message is acknowledged once
 * the bus has queued it for its listeners.
 *
 * <p><b>Dead letters</b> go to the durable queue {@link Builder#deadLetterQueue(String)}, each message with the headers
 * {@value #HEADER_SUBSCRIPTION} and {@value #HEADER_ERROR}.
 *
 * <p>Thread-safe.
 */
public final class RabbitMqTransport implements BrokerTransport {
    /** Default {@link Builder#exchange(String)}: {@value RabbitMqPublisher#DEFAULT_EXCHANGE}. */
    public static final String DEFAULT_EXCHANGE = RabbitMqPublisher.DEFAULT_EXCHANGE;
    /** Default {@link Builder#queuePrefix(String)}: {@value}, as {@code RabbitMqConfig}'s. */
    public static final String DEFAULT_QUEUE_PREFIX = "nexus";
    /** Default {@link Builder#queueExpiry(Duration)}: 30 minutes. */
    public static final Duration DEFAULT_QUEUE_EXPIRY = Duration.ofMinutes(30);
    /** The dead-letter message header naming the subscription that gave up. */
    public static final String HEADER_SUBSCRIPTION = "nexus-subscription";
    /** The dead-letter message header holding the last error. */
    public static final String HEADER_ERROR = "nexus-error";

    private static final System.Logger LOG = System.getLogger(RabbitMqTransport.class.getName());
    private static final int PREFETCH = 250;

    private final URI uri;
    private final String exchange;
    private final String queue;
    private final String deadLetterQueue;
    private final Duration queueExpiry;
    private final EventEnvelopeJson codec;
    private final RabbitMqPublisher publisher;
    private final Object lifecycle = new Object();
    private @Nullable Connection connection;
    private @Nullable Channel consuming;
    private @Nullable Channel deadLetters;
    private boolean closed;

    private RabbitMqTransport(Builder builder, URI uri, EventEnvelopeJson codec) {
        this.uri = uri;
        this.exchange = builder.exchange;
        this.queue = builder.queuePrefix + ".bus." + UUID.randomUUID();
        this.deadLetterQueue = builder.deadLetterQueue != null ? builder.deadLetterQueue : exchange + ".dead-letters";
        this.queueExpiry = builder.queueExpiry;
        this.codec = codec;
        try {
            this.publisher = builder.publisher.build();
        } catch (UncheckedIOException e) {
            throw new BrokerUnavailableException("cannot connect to " + describe(), e);
        }
    }

    /**
     * A builder for a transport to the broker at {@code uri}.
     *
     * @param uri {@code amqp://[user:password@]host[:port][/vhost]}, or {@code amqps://} for TLS
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if the URI is malformed
     */
    public static Builder builder(String uri) {
        return new Builder(uri);
    }

    @Override
    public void start(Receiver receiver) {
        requireNonNull(receiver, "receiver");
        synchronized (lifecycle) {
            if (connection != null || closed) {
                throw new IllegalStateException("the RabbitMQ transport was " + (closed ? "closed" : "started"));
            }
            Connection opened;
            try {
                opened = RabbitMqSettings.connect(uri, "nexus-bus-" + queue);
            } catch (UncheckedIOException e) {
                throw new BrokerUnavailableException("cannot connect to " + describe(), e);
            }
            try {
                Channel channel = requireChannel(opened);
                channel.exchangeDeclare(exchange, "topic", true);
                channel.queueDeclare(queue, true, false, false, Map.of("x-expires", queueExpiry.toMillis()));
                channel.basicQos(PREFETCH);
                channel.basicConsume(
                        queue,
                        false,
                        (tag, delivery) -> deliver(channel, receiver, delivery),
                        tag -> LOG.log(Level.WARNING, "the broker cancelled the bus's consumer of '" + queue + "'"));
                Channel dead = requireChannel(opened);
                dead.queueDeclare(deadLetterQueue, true, false, false, Map.of());
                dead.confirmSelect();
                if (opened instanceof Recoverable recoverable) {
                    recoverable.addRecoveryListener(new RecoveryListener() {
                        @Override
                        public void handleRecovery(Recoverable recovered) {
                            LOG.log(Level.INFO, "reconnected to " + describe());
                            receiver.reconnected();
                        }

                        @Override
                        public void handleRecoveryStarted(Recoverable recovering) {
                            LOG.log(Level.WARNING, "lost the connection to " + describe() + "; reconnecting");
                        }
                    });
                }
                consuming = channel;
                deadLetters = dead;
                connection = opened;
            } catch (IOException | RuntimeException e) {
                opened.abort();
                throw new BrokerUnavailableException("cannot set up queue '" + queue + "' on " + describe(), e);
            }
        }
    }

    private static Channel requireChannel(Connection connection) throws IOException {
        Channel channel = connection.createChannel();
        if (channel == null) {
            throw new IOException("the broker has no channel left on this connection");
        }
        return channel;
    }

    private void deliver(Channel channel, Receiver receiver, Delivery delivery) throws IOException {
        long tag = delivery.getEnvelope().getDeliveryTag();
        List<RecordedEvent> events;
        try {
            // An upcaster may split one message into several events: each part goes on, in order.
            events = codec.decodeAll(new String(delivery.getBody(), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "dropped a message in '" + queue + "' that is not an event envelope", e);
            channel.basicAck(tag, false);
            return;
        }
        events.forEach(receiver::received);
        channel.basicAck(tag, false);
    }

    @Override
    public void publish(RecordedEvent event) {
        try {
            publisher.publish(event);
        } catch (UncheckedIOException | ShutdownSignalException e) {
            throw new BrokerUnavailableException(
                    "cannot publish event " + event.eventId() + " (" + event.type() + ") to " + describe(), e);
        }
    }

    @Override
    public void listen(TypePattern pattern) {
        String key = TopicBindings.bindingKey(pattern);
        try {
            requireStarted().queueBind(queue, exchange, key);
        } catch (IOException | ShutdownSignalException e) {
            throw new BrokerUnavailableException(
                    "cannot bind '" + key + "' to queue '" + queue + "' on " + describe(), e);
        }
    }

    @Override
    public void unlisten(TypePattern pattern) {
        String key = TopicBindings.bindingKey(pattern);
        try {
            requireStarted().queueUnbind(queue, exchange, key);
        } catch (IOException | ShutdownSignalException e) {
            throw new BrokerUnavailableException(
                    "cannot unbind '" + key + "' from queue '" + queue + "' on " + describe(), e);
        }
    }

    private Channel requireStarted() {
        synchronized (lifecycle) {
            if (consuming == null) {
                throw new IllegalStateException("the RabbitMQ transport is not started");
            }
            return consuming;
        }
    }

    @Override
    public void deadLetter(RecordedEvent event, String subscription, Throwable error) {
        synchronized (lifecycle) {
            Channel channel = deadLetters;
            if (channel == null) {
                throw new IllegalStateException("the RabbitMQ transport is not started");
            }
            AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                    .contentType("application/json")
                    .deliveryMode(2)
                    .messageId(event.eventId().toString())
                    .type(event.type())
                    .headers(Map.of(HEADER_SUBSCRIPTION, subscription, HEADER_ERROR, String.valueOf(error)))
                    .build();
            try {
                channel.basicPublish(
                        "", deadLetterQueue, properties, codec.encode(event).getBytes(StandardCharsets.UTF_8));
                channel.waitForConfirmsOrDie(RabbitMqPublisher.DEFAULT_CONFIRM_TIMEOUT.toMillis());
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                throw new BrokerUnavailableException(
                        "cannot dead-letter event " + event.eventId() + " to queue '" + deadLetterQueue + "'", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BrokerUnavailableException("interrupted while dead-lettering " + event.eventId(), e);
            }
        }
    }

    @Override
    public String deadLetterDestination() {
        return deadLetterQueue;
    }

    /** {@return this process's queue} */
    public String queue() {
        return queue;
    }

    /** {@return the exchange events are published to} */
    public String exchange() {
        return exchange;
    }

    @Override
    public String describe() {
        return "RabbitMQ at " + RabbitMqSettings.redacted(uri);
    }

    /** Deletes this process's queue, then closes the connections. Idempotent. */
    @Override
    public void close() {
        Connection open;
        Channel channel;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            open = connection;
            channel = consuming;
        }
        if (channel != null && channel.isOpen()) {
            try {
                channel.queueDelete(queue);
            } catch (IOException | RuntimeException e) {
                // it expires on its own
            }
        }
        if (open != null && open.isOpen()) {
            try {
                open.close();
            } catch (IOException | RuntimeException e) {
                open.abort();
            }
        }
        publisher.close();
    }

    /** Collects the transport's settings, checking each as it is set; not thread-safe. */
    public static final class Builder extends RelayConsumerBuilder<Builder> {
        private final RabbitMqPublisher.Builder publisher;
        private String exchange = DEFAULT_EXCHANGE;
        private String queuePrefix = DEFAULT_QUEUE_PREFIX;
        private Duration queueExpiry = DEFAULT_QUEUE_EXPIRY;
        private @Nullable String deadLetterQueue;

        private Builder(String uri) {
            super("uri", uri, RabbitMqSettings.URI_FORM, RabbitMqSettings.URI_SCHEMES);
            this.publisher = RabbitMqPublisher.builder(uri);
        }

        /**
         * The durable topic exchange every process of one bus publishes to. Default: {@value #DEFAULT_EXCHANGE}.
         *
         * @param exchange 1 to 255 characters
         * @return this builder
         */
        public Builder exchange(String exchange) {
            this.exchange = RabbitMqSettings.name("exchange", exchange);
            publisher.exchange(exchange);
            return this;
        }

        /**
         * The prefix of the process's queue ({@code queue_prefix}): it is named {@code <prefix>.bus.<random id>}.
         * Default: {@value #DEFAULT_QUEUE_PREFIX}.
         *
         * @param queuePrefix 1 to 200 characters
         * @return this builder
         */
        public Builder queuePrefix(String queuePrefix) {
            this.queuePrefix = RabbitMqSettings.name("queuePrefix", queuePrefix);
            if (queuePrefix.length() > 200) {
                throw new IllegalArgumentException(
                        "queuePrefix must be at most 200 characters (the queue name adds 41), was " + queuePrefix);
            }
            return this;
        }

        /**
         * How long the process's queue outlives its consumer ({@code x-expires}); at least one second. Default: 30
         * minutes.
         *
         * @param queueExpiry the expiry
         * @return this builder
         */
        public Builder queueExpiry(Duration queueExpiry) {
            requireNonNull(queueExpiry, "queueExpiry");
            if (queueExpiry.toMillis() < 1_000) {
                throw new IllegalArgumentException("queueExpiry must be at least 1 s, was " + queueExpiry);
            }
            this.queueExpiry = queueExpiry;
            return this;
        }

        /**
         * The durable queue dead letters go to. Default: {@code <exchange>.dead-letters}.
         *
         * @param deadLetterQueue 1 to 255 characters, not starting with {@code amq.}
         * @return this builder
         */
        public Builder deadLetterQueue(String deadLetterQueue) {
            this.deadLetterQueue = RabbitMqSettings.name("queue", deadLetterQueue);
            return this;
        }

        /**
         * Connects the publisher; the bus starts the rest.
         *
         * @return the transport; a {@link BrokerEventBus} starts and closes it
         * @throws BrokerUnavailableException if the broker cannot be reached
         */
        public RabbitMqTransport build() {
            publisher.serializer(serializer());
            return new RabbitMqTransport(this, brokerUri(), codec());
        }
    }
}
