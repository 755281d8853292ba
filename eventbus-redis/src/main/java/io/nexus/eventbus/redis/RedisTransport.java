package io.nexus.eventbus.redis;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.BrokerEventBus;
import io.nexus.eventbus.BrokerTransport;
import io.nexus.eventbus.BrokerUnavailableException;
import io.nexus.eventbus.RedisConfig;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventbus.relay.RelayConsumerBuilder;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.json.EventEnvelopeJson;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;

/**
 * The Redis transport of a {@link BrokerEventBus}: events travel by Redis Pub/Sub, each published on the channel
 * {@code <channel_prefix>:<type>}, and each process subscribes with one pattern per type pattern it listens to
 * ({@code PSUBSCRIBE nexus:events:user.*} for {@code user.*}, {@code nexus:events:*.error} for {@code *.error}).
 *
 * <pre>{@code
 * BrokerTransport redis = RedisTransport.builder("redis://127.0.0.1:6379")
 *         .channelPrefix("nexus:events")        // default: DEFAULT_CHANNEL_PREFIX
 *         .streamName("nexus:event_stream")      // default: none, no stream
 *         .maxStreamLength(100_000)
 *         .build();
 * }</pre>
 *
 * <p><b>What Pub/Sub loses.</b> Redis hands a published message to the subscribers connected at that moment and keeps
 * nothing: a process that is away (not started yet, restarting, or reconnecting after Redis restarted) never receives
 * the events published meanwhile. Use the bus with persistence (the PostgreSQL store fills every such gap), or read
 * the stream: with {@link Builder#streamName(String)}, every event is also appended to that Redis stream ({@code XADD},
 * trimmed to about {@link Builder#maxStreamLength(long)} entries), where {@link RedisStreamConsumer} reads it in a
 * consumer group with acknowledgements, so consumers that were away resume where they stopped (as long as Redis itself
 * keeps the stream: a Redis without AOF or RDB loses it on restart).
 *
 * <p><b>Dead letters</b> go to the stream {@link Builder#deadLetterStream(String)} with the fields {@value
 * #FIELD_EVENT_ID}, {@value #FIELD_TYPE}, {@value #FIELD_ENVELOPE}, {@value #FIELD_SUBSCRIPTION} and {@value
 * #FIELD_ERROR}.
 *
 * <p>The subscriber runs on one daemon thread and reconnects with backoff (up to 1 s) after a lost connection; it then
 * subscribes to every pattern again and tells the bus. Thread-safe.
 */
public final class RedisTransport implements BrokerTransport {
    /** Default {@link Builder#channelPrefix(String)}: {@value}, as in the design's configuration. */
    public static final String DEFAULT_CHANNEL_PREFIX = "nexus:events";
    /** Default {@link Builder#maxStreamLength(long)}: 0, never trim. */
    public static final long DEFAULT_MAX_STREAM_LENGTH = 0;
    /** The dead-letter and stream entry field holding the event id. */
    public static final String FIELD_EVENT_ID = RedisStreamPublisher.FIELD_EVENT_ID;
    /** The dead-letter and stream entry field holding the event type. */
    public static final String FIELD_TYPE = RedisStreamPublisher.FIELD_TYPE;
    /** The dead-letter and stream entry field holding the JSON envelope. */
    public static final String FIELD_ENVELOPE = RedisStreamPublisher.FIELD_ENVELOPE;
    /** The dead-letter entry field naming the subscription that gave up. */
    public static final String FIELD_SUBSCRIPTION = "subscription";
    /** The dead-letter entry field holding the last error. */
    public static final String FIELD_ERROR = "error";

    private static final System.Logger LOG = System.getLogger(RedisTransport.class.getName());
    private static final long SUBSCRIBE_TIMEOUT_SECONDS = 10;
    private static final long MAX_RECONNECT_DELAY_MILLIS = 1_000;

    private final URI url;
    private final String channelPrefix;
    private final @Nullable String streamName;
    private final @Nullable RedisStreamPublisher stream;
    private final String deadLetterStream;
    private final EventEnvelopeJson codec;
    private final String controlPattern;
    private final Set<String> patterns = ConcurrentHashMap.newKeySet();
    private final Map<String, CountDownLatch> confirmations = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();
    private final Object writes = new Object(); // a subscription's commands come from several threads
    private final RedisClient client;
    private final RedisClient subscriptionClient;
    private volatile @Nullable Subscriber current;
    private volatile boolean running;
    private @Nullable Thread thread;

    private RedisTransport(Builder builder, URI url, EventEnvelopeJson codec, EventSerializer serializer) {
        this.url = url;
        this.channelPrefix = builder.channelPrefix;
        this.streamName = builder.streamName;
        this.stream = streamName == null
                ? null
                : RedisStreamPublisher.builder(url.toString())
                        .streamKey(streamName)
                        .maxLength(builder.maxStreamLength)
                        .poolSize(builder.poolSize)
                        .serializer(serializer)
                        .build();
        this.deadLetterStream =
                builder.deadLetterStream != null ? builder.deadLetterStream : channelPrefix + ":dead-letters";
        this.codec = codec;
        // A channel no event type can have (types never contain '!'), so that the subscriber always has a pattern.
        this.controlPattern = escape(channelPrefix + ":!control");
        this.client = RedisClients.create(url, builder.poolSize);
        // A Pub/Sub subscription holds its connection for as long as it lasts: its own, outside the pool that
        // pool_size sizes, so that publishing never waits for it (and pool_size 1 still publishes).
        this.subscriptionClient = RedisClients.create(url, 1);
    }

    /**
     * A builder for a transport to the Redis server at {@code redisUrl}.
     *
     * @param redisUrl {@code redis://[user:password@]host:port[/database]}, or {@code rediss://} for TLS
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if it is not such a URL
     */
    public static Builder builder(String redisUrl) {
        return new Builder(redisUrl);
    }

    @Override
    public void start(Receiver receiver) {
        requireNonNull(receiver, "receiver");
        CountDownLatch connected = new CountDownLatch(1);
        synchronized (lifecycle) {
            if (thread != null) {
                throw new IllegalStateException("the Redis transport was started already");
            }
            running = true;
            confirmations.put(controlPattern, connected);
            Thread subscriber = new Thread(() -> subscribeLoop(receiver), "nexus-redis-bus-subscriber");
            subscriber.setDaemon(true);
            thread = subscriber;
            subscriber.start();
        }
        try {
            await(controlPattern, connected);
        } catch (BrokerUnavailableException e) {
            close();
            throw e;
        }
    }

    private void subscribeLoop(Receiver receiver) {
        long delay = 50;
        boolean first = true;
        while (running) {
            Subscriber subscriber = new Subscriber(receiver, !first);
            current = subscriber;
            List<String> all = new ArrayList<>();
            all.add(controlPattern);
            all.addAll(patterns);
            subscriber.initial.addAll(all);
            try {
                subscriptionClient.psubscribe(
                        subscriber, all.toArray(new String[0])); // returns when unsubscribed or broken
                delay = 50;
            } catch (JedisException | IllegalStateException e) {
                if (!running) {
                    return;
                }
                if (subscriber.confirmed) {
                    LOG.log(
                            Level.WARNING,
                            "lost the subscription to " + describe() + "; reconnecting: " + e.getMessage());
                }
            } finally {
                current = null;
            }
            if (subscriber.confirmed) {
                first = false;
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
            delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MILLIS);
        }
    }

    /** One connection's subscription; the callbacks run on the subscriber thread. */
    private final class Subscriber extends JedisPubSub {
        private final Receiver receiver;
        private final boolean reconnection;
        private final List<String> initial = new ArrayList<>();
        private volatile boolean confirmed;

        Subscriber(Receiver receiver, boolean reconnection) {
            this.receiver = receiver;
            this.reconnection = reconnection;
        }

        @Override
        public void onPSubscribe(String pattern, int subscribedChannels) {
            if (pattern.equals(controlPattern) && !confirmed) {
                // Redis registers every pattern of one PSUBSCRIBE before its first reply: all of `initial` routes now.
                confirmed = true;
                for (String listened : initial) {
                    confirm(listened);
                }
                List<String> late = new ArrayList<>(patterns);
                late.removeAll(initial);
                if (!late.isEmpty()) {
                    synchronized (writes) {
                        psubscribe(late.toArray(new String[0]));
                    }
                }
                if (reconnection) {
                    LOG.log(Level.INFO, "subscribed to " + describe() + " again");
                    receiver.reconnected();
                }
                return;
            }
            confirm(pattern);
        }

        @Override
        public void onPMessage(String pattern, String channel, String message) {
            if (pattern.equals(controlPattern)) {
                return;
            }
            List<RecordedEvent> events;
            try {
                // An upcaster may split one message into several events: each part goes on, in order.
                events = codec.decodeAll(message);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dropped a message on '" + channel + "' that is not an event envelope", e);
                return;
            }
            events.forEach(receiver::received);
        }
    }

    private void confirm(String pattern) {
        CountDownLatch latch = confirmations.remove(pattern);
        if (latch != null) {
            latch.countDown();
        }
    }

    @Override
    public void publish(RecordedEvent event) {
        requireNonNull(event, "event");
        String envelope = codec.encode(event);
        try {
            client.publish(channelPrefix + ":" + event.type(), envelope);
            if (stream != null) {
                stream.publish(event);
            }
        } catch (JedisException e) {
            throw new BrokerUnavailableException(
                    "cannot publish event " + event.eventId() + " (" + event.type() + ") to " + describe(), e);
        }
    }

    @Override
    public void listen(TypePattern pattern) {
        String glob = glob(pattern);
        CountDownLatch confirmed = new CountDownLatch(1);
        confirmations.put(glob, confirmed);
        patterns.add(glob);
        Subscriber subscriber = current;
        if (subscriber != null && subscriber.confirmed) {
            try {
                synchronized (writes) {
                    subscriber.psubscribe(glob);
                }
            } catch (JedisException e) {
                // the connection broke: the subscriber thread reconnects with every pattern, which confirms this one
            }
        }
        await(glob, confirmed);
    }

    private void await(String glob, CountDownLatch confirmed) {
        try {
            if (!confirmed.await(SUBSCRIBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                confirmations.remove(glob, confirmed);
                throw new BrokerUnavailableException(
                        "cannot subscribe to '" + glob + "' on " + describe(),
                        new java.util.concurrent.TimeoutException(
                                "no confirmation within " + SUBSCRIBE_TIMEOUT_SECONDS + " s"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnavailableException("interrupted while subscribing to '" + glob + "' on " + describe(), e);
        }
    }

    @Override
    public void unlisten(TypePattern pattern) {
        String glob = glob(pattern);
        patterns.remove(glob);
        Subscriber subscriber = current;
        if (subscriber != null && subscriber.confirmed) {
            try {
                synchronized (writes) {
                    subscriber.punsubscribe(glob);
                }
            } catch (JedisException e) {
                // the connection broke: the next one is made without this pattern
            }
        }
    }

    @Override
    public void deadLetter(RecordedEvent event, String subscription, Throwable error) {
        try {
            client.xadd(
                    deadLetterStream,
                    XAddParams.xAddParams(),
                    Map.of(
                            FIELD_EVENT_ID,
                            event.eventId().toString(),
                            FIELD_TYPE,
                            event.type(),
                            FIELD_ENVELOPE,
                            codec.encode(event),
                            FIELD_SUBSCRIPTION,
                            subscription,
                            FIELD_ERROR,
                            String.valueOf(error)));
        } catch (JedisException e) {
            throw new BrokerUnavailableException(
                    "cannot dead-letter event " + event.eventId() + " to stream '" + deadLetterStream + "' on "
                            + describe(),
                    e);
        }
    }

    @Override
    public String deadLetterDestination() {
        return deadLetterStream;
    }

    /** {@return the prefix of the channels events are published on} */
    public String channelPrefix() {
        return channelPrefix;
    }

    /** {@return the stream every event is also appended to, if one is configured} */
    public java.util.Optional<String> streamName() {
        return java.util.Optional.ofNullable(streamName);
    }

    @Override
    public String describe() {
        return "Redis at " + url.getHost() + ":" + (url.getPort() < 0 ? 6379 : url.getPort());
    }

    @Override
    public void close() {
        Thread subscriber;
        synchronized (lifecycle) {
            if (!running) {
                closeClients();
                return;
            }
            running = false;
            subscriber = thread;
        }
        Subscriber active = current;
        if (active != null && active.isSubscribed()) {
            try {
                active.punsubscribe();
            } catch (JedisException e) {
                // broken already: the thread ends on its own
            }
        }
        if (subscriber != null) {
            try {
                subscriber.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (subscriber.isAlive()) {
                subscriber.interrupt();
            }
        }
        closeClients();
    }

    private void closeClients() {
        client.close();
        subscriptionClient.close();
        if (stream != null) {
            stream.close();
        }
    }

    /** The most connections of the pool the transport publishes on, as its Jedis pool says (for tests). */
    int publishPoolMaxTotal() {
        return client.getPool().getMaxTotal();
    }

    /** The same of the stream's publisher; -1 without a stream (for tests). */
    int streamPoolMaxTotal() {
        return stream == null ? -1 : stream.poolMaxTotal();
    }

    /** The Redis glob of the channels {@code pattern} matches. */
    String glob(TypePattern pattern) {
        String prefix = escape(channelPrefix + ":");
        if (pattern instanceof TypePattern.Exact exact) {
            return prefix + escape(exact.type());
        }
        if (pattern instanceof TypePattern.AnyType) {
            return prefix + "*";
        }
        if (pattern instanceof TypePattern.Prefix start) {
            return prefix + escape(start.prefix()) + "*";
        }
        if (pattern instanceof TypePattern.Suffix end) {
            return prefix + "*" + escape(end.suffix());
        }
        throw new AssertionError("unknown type pattern " + pattern);
    }

    private static String escape(String literal) {
        StringBuilder escaped = new StringBuilder(literal.length());
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }

    /** Collects the transport's settings, checking each as it is set; not thread-safe. */
    public static final class Builder extends RelayConsumerBuilder<Builder> {
        private String channelPrefix = DEFAULT_CHANNEL_PREFIX;
        private @Nullable String streamName;
        private long maxStreamLength = DEFAULT_MAX_STREAM_LENGTH;
        private @Nullable String deadLetterStream;
        private int poolSize = RedisConfig.DEFAULT_POOL_SIZE;

        private Builder(String redisUrl) {
            super("redisUrl", redisUrl, RedisStreamPublisher.URL_FORM, RedisStreamPublisher.URL_SCHEMES);
        }

        /**
         * The prefix of the Pub/Sub channels ({@code channel_prefix}); events go to {@code <prefix>:<type>}. Every
         * process of one bus uses the same prefix. Default: {@value #DEFAULT_CHANNEL_PREFIX}.
         *
         * @param channelPrefix the channel prefix, non-blank
         * @return this builder
         */
        public Builder channelPrefix(String channelPrefix) {
            this.channelPrefix = name("channelPrefix", channelPrefix);
            return this;
        }

        /**
         * The most connections the transport publishes on ({@code pool_size}), and the stream's publisher too; an
         * emit that finds them all busy waits for one. The Pub/Sub subscription has one more connection of its own.
         * Default: {@link RedisConfig#DEFAULT_POOL_SIZE}.
         *
         * @param poolSize at least 1
         * @return this builder
         * @throws IllegalArgumentException if it is below 1
         */
        public Builder poolSize(int poolSize) {
            this.poolSize = RedisClients.checkPoolSize(poolSize);
            return this;
        }

        /**
         * A stream ({@code stream_name}) every published event is also appended to, for durable consumers ({@link
         * RedisStreamConsumer} in a consumer group). Default: none.
         *
         * @param streamName the stream key, non-blank
         * @return this builder
         */
        public Builder streamName(String streamName) {
            this.streamName = name("streamName", streamName);
            return this;
        }

        /**
         * Trims the stream to about this many entries on each append ({@code max_stream_length}, {@code MAXLEN ~}); 0
         * never trims. Default: {@value #DEFAULT_MAX_STREAM_LENGTH}.
         *
         * @param maxStreamLength the approximate most entries kept, or 0
         * @return this builder
         * @throws IllegalArgumentException if it is negative
         */
        public Builder maxStreamLength(long maxStreamLength) {
            if (maxStreamLength < 0) {
                throw new IllegalArgumentException(
                        "maxStreamLength must be >= 0 (0 = no trimming), was " + maxStreamLength);
            }
            this.maxStreamLength = maxStreamLength;
            return this;
        }

        /**
         * The stream dead letters are appended to. Default: {@code <channel prefix>:dead-letters}.
         *
         * @param deadLetterStream the stream key, non-blank
         * @return this builder
         */
        public Builder deadLetterStream(String deadLetterStream) {
            this.deadLetterStream = name("deadLetterStream", deadLetterStream);
            return this;
        }

        /** {@return the transport, not yet started; a {@link BrokerEventBus} starts and closes it} */
        public RedisTransport build() {
            return new RedisTransport(this, brokerUri(), codec(), serializer());
        }
    }
}
