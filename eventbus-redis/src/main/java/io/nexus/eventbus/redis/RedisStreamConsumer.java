package io.nexus.eventbus.redis;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.relay.RelayConsumerBuilder;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.json.EventEnvelopeJson;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamPendingEntry;

/**
 * Reads a Redis stream written by {@link RedisStreamPublisher} as one consumer of a consumer group, and hands each
 * event to an {@link EventListener}.
 *
 * <pre>{@code
 * RedisStreamConsumer consumer = RedisStreamConsumer.builder("redis://127.0.0.1:6379", "billing", "billing-1")
 *         .streamKey("orders:events")
 *         .build();
 * consumer.start(event -> billing.apply(event));
 * }</pre>
 *
 * <p><b>Delivery.</b> Within a group each entry goes to one consumer ({@code XREADGROUP … >}); each group gets every
 * entry. A group created by {@link #start} reads the stream from its beginning ({@code XGROUP CREATE … 0 MKSTREAM});
 * an existing group keeps its position. An entry is acknowledged ({@code XACK}) only after the listener returned
 * normally. When the listener throws, or the envelope cannot be decoded, the entry stays pending and is logged; once
 * an entry has been pending longer than {@link Builder#claimIdleTime(Duration)}, whichever consumer of the group looks
 * next claims it with {@code XAUTOCLAIM} and delivers it again, so entries of a consumer that died are not lost, and a
 * failing entry is retried about once per claim idle time: without limit, or, with {@link
 * Builder#maxDeliveries(int)}, until it has been delivered that often, when it is moved to a dead-letter stream.
 * Delivery is therefore at least once: deduplicate on {@link RecordedEvent#eventId()} where it matters. A reclaimed
 * entry can arrive after later entries.
 *
 * <p><b>Threads.</b> {@link #start} runs one daemon thread that calls the listener for one entry at a time. Lost
 * connections are retried every second. {@link #close()} stops the thread after the current entry (waiting at most
 * the block timeout for a pending read) and closes the connections.
 */
public final class RedisStreamConsumer implements AutoCloseable {
    /** Default {@link Builder#streamKey(String)}: {@value RedisStreamPublisher#DEFAULT_STREAM_KEY}. */
    public static final String DEFAULT_STREAM_KEY = RedisStreamPublisher.DEFAULT_STREAM_KEY;
    /** Default {@link Builder#batchSize(int)}: 100 entries per read. */
    public static final int DEFAULT_BATCH_SIZE = 100;
    /** Default {@link Builder#blockTimeout(Duration)}: 1 second. */
    public static final Duration DEFAULT_BLOCK_TIMEOUT = Duration.ofSeconds(1);
    /** Default {@link Builder#claimIdleTime(Duration)}: 30 seconds. */
    public static final Duration DEFAULT_CLAIM_IDLE_TIME = Duration.ofSeconds(30);
    /** Default {@link Builder#maxDeliveries(int)}: 0, deliver a failing entry again without limit. */
    public static final int DEFAULT_MAX_DELIVERIES = 0;
    /** The suffix of the default {@link Builder#deadLetterStreamKey(String)}: {@code <streamKey>:dead-letters}. */
    public static final String DEAD_LETTER_SUFFIX = ":dead-letters";

    /** The dead-letter entry field naming the group that gave up on the entry. */
    public static final String FIELD_GROUP = "group";
    /** The dead-letter entry field holding the id of the original entry. */
    public static final String FIELD_ORIGINAL_ID = "originalId";
    /** The dead-letter entry field holding how often the entry was delivered before it was dead-lettered. */
    public static final String FIELD_DELIVERIES = "deliveries";

    private static final System.Logger LOG = System.getLogger(RedisStreamConsumer.class.getName());
    private static final Duration RECONNECT_DELAY = Duration.ofSeconds(1);

    private final URI redisUrl;
    private final String streamKey;
    private final String group;
    private final String consumerName;
    private final int batchSize;
    private final Duration blockTimeout;
    private final Duration claimIdleTime;
    private final int maxDeliveries;
    private final String deadLetterStreamKey;
    private final EventEnvelopeJson codec;
    private final Object lifecycle = new Object();

    private @Nullable RedisClient client;
    private @Nullable Thread thread;
    private volatile boolean running;
    private boolean closed;

    private RedisStreamConsumer(Builder builder, URI redisUrl, EventEnvelopeJson codec) {
        this.redisUrl = redisUrl;
        this.streamKey = builder.streamKey;
        this.group = builder.group;
        this.consumerName = builder.consumerName;
        this.batchSize = builder.batchSize;
        this.blockTimeout = builder.blockTimeout;
        this.claimIdleTime = builder.claimIdleTime;
        this.maxDeliveries = builder.maxDeliveries;
        this.deadLetterStreamKey = builder.deadLetterStreamKey == null
                ? builder.streamKey + DEAD_LETTER_SUFFIX
                : builder.deadLetterStreamKey;
        this.codec = codec;
    }

    /**
     * A builder for consumer {@code consumerName} of group {@code group} on the Redis server at {@code redisUrl}.
     *
     * @param redisUrl {@code redis://[user:password@]host:port[/database]}, or {@code rediss://} for TLS
     * @param group the consumer group; every group receives every entry
     * @param consumerName this consumer's name within the group, unique among its live consumers; reuse it after a
     *     restart so Redis's per-consumer bookkeeping does not grow
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if the URL is malformed or a name is blank
     */
    public static Builder builder(String redisUrl, String group, String consumerName) {
        return new Builder(redisUrl, group, consumerName);
    }

    /**
     * Creates the group if it does not exist and starts delivering entries to {@code listener} on a new thread.
     *
     * @param listener handles each entry's event; an entry is acknowledged only after it returns normally
     * @throws IllegalStateException if the consumer was started or closed before
     * @throws redis.clients.jedis.exceptions.JedisException if Redis cannot be reached to create the group
     */
    public void start(EventListener listener) {
        requireNonNull(listener, "listener");
        synchronized (lifecycle) {
            if (closed || client != null) {
                throw new IllegalStateException("consumer '" + consumerName + "' of group '" + group + "' was already "
                        + (closed ? "closed" : "started"));
            }
            RedisClient redis = RedisClient.create(redisUrl);
            try {
                createGroup(redis);
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
            client = redis;
            running = true;
            Thread worker = new Thread(() -> run(redis, listener), "nexus-redis-" + group + "-" + consumerName);
            worker.setDaemon(true);
            thread = worker;
            worker.start();
        }
    }

    private void createGroup(RedisClient redis) {
        try {
            redis.xgroupCreate(streamKey, group, new StreamEntryID(0, 0), true);
        } catch (JedisDataException e) {
            // BUSYGROUP is Redis's error code for "the group exists already", which is what we want.
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    private void run(RedisClient redis, EventListener listener) {
        try {
            poll(redis, listener);
        } catch (Error e) {
            running = false;
            LOG.log(
                    Level.ERROR,
                    "consumer '" + consumerName + "' of group '" + group + "' on stream '" + streamKey
                            + "' stopped: its thread died; pending entries will be claimed by the group's other consumers",
                    e);
            throw e;
        }
    }

    private void poll(RedisClient redis, EventListener listener) {
        long nextClaim = System.nanoTime();
        while (running) {
            try {
                if (System.nanoTime() - nextClaim >= 0) {
                    claimStale(redis, listener);
                    nextClaim = System.nanoTime() + Math.max(claimIdleTime.toNanos() / 2, 100_000_000L);
                }
                List<Map.Entry<String, List<StreamEntry>>> read = redis.xreadGroup(
                        group,
                        consumerName,
                        XReadGroupParams.xReadGroupParams().count(batchSize).block((int)
                                Math.min(blockTimeout.toMillis(), Integer.MAX_VALUE)),
                        Map.of(streamKey, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
                if (read != null) {
                    for (Map.Entry<String, List<StreamEntry>> stream : read) {
                        deliver(redis, listener, stream.getValue());
                    }
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.log(
                        Level.WARNING,
                        "consumer '" + consumerName + "' of group '" + group + "' on stream '" + streamKey
                                + "' failed to read; retrying in " + RECONNECT_DELAY,
                        e);
                if (!sleep(RECONNECT_DELAY)) {
                    return;
                }
            }
        }
    }

    private void claimStale(RedisClient redis, EventListener listener) {
        StreamEntryID cursor = new StreamEntryID(0, 0);
        do {
            Map.Entry<StreamEntryID, List<StreamEntry>> claimed = redis.xautoclaim(
                    streamKey,
                    group,
                    consumerName,
                    claimIdleTime.toMillis(),
                    cursor,
                    XAutoClaimParams.xAutoClaimParams().count(batchSize));
            deliver(redis, listener, withoutExhausted(redis, claimed.getValue()));
            cursor = claimed.getKey();
        } while (running && !cursor.equals(new StreamEntryID(0, 0)));
    }

    // XAUTOCLAIM counts the claim as a delivery, so an entry whose count now exceeds maxDeliveries was handed to a
    // listener maxDeliveries times already.
    private List<StreamEntry> withoutExhausted(RedisClient redis, List<StreamEntry> claimed) {
        if (maxDeliveries == 0 || claimed.isEmpty()) {
            return claimed;
        }
        List<StreamEntry> live = new ArrayList<>();
        for (StreamEntry entry : claimed) {
            List<StreamPendingEntry> pending =
                    redis.xpending(streamKey, group, XPendingParams.xPendingParams(entry.getID(), entry.getID(), 1));
            long deliveries = pending.isEmpty() ? 0 : pending.get(0).getDeliveredTimes();
            if (deliveries > maxDeliveries) {
                deadLetter(redis, entry, deliveries - 1);
            } else {
                live.add(entry);
            }
        }
        return live;
    }

    private void deadLetter(RedisClient redis, StreamEntry entry, long deliveries) {
        Map<String, String> fields = new HashMap<>(entry.getFields() == null ? Map.of() : entry.getFields());
        fields.put(FIELD_GROUP, group);
        fields.put(FIELD_ORIGINAL_ID, entry.getID().toString());
        fields.put(FIELD_DELIVERIES, Long.toString(deliveries));
        StreamEntryID id = redis.xadd(deadLetterStreamKey, XAddParams.xAddParams(), fields);
        redis.xack(streamKey, group, entry.getID());
        LOG.log(
                Level.ERROR,
                "group '" + group + "' gave up on entry " + entry.getID() + " of stream '" + streamKey
                        + "' (event " + fields.get(RedisStreamPublisher.FIELD_EVENT_ID) + ") after " + deliveries
                        + " deliveries; moved it to '" + deadLetterStreamKey + "' as " + id);
    }

    private void deliver(RedisClient redis, EventListener listener, List<StreamEntry> entries) {
        for (StreamEntry entry : entries) {
            if (!running) {
                return;
            }
            List<RecordedEvent> events;
            try {
                String envelope =
                        entry.getFields() == null ? null : entry.getFields().get(RedisStreamPublisher.FIELD_ENVELOPE);
                if (envelope == null) {
                    throw new IllegalArgumentException(
                            "entry has no '" + RedisStreamPublisher.FIELD_ENVELOPE + "' field: " + entry.getFields());
                }
                events = codec.decodeAll(envelope);
            } catch (RuntimeException e) {
                LOG.log(
                        Level.ERROR,
                        "consumer '" + consumerName + "' cannot decode entry " + entry.getID() + " of stream '"
                                + streamKey + "'; it stays pending",
                        e);
                continue;
            }
            // An upcaster may split one entry into several events: the listener gets every part, in order, and the
            // entry
            // is acknowledged once all were handled. When one fails the entry stays pending, so a retry hands the
            // listener the earlier parts again (at-least-once, as for any retry).
            if (handledAll(listener, events, entry)) {
                redis.xack(streamKey, group, entry.getID());
            }
        }
    }

    private boolean handledAll(EventListener listener, List<RecordedEvent> events, StreamEntry entry) {
        for (RecordedEvent event : events) {
            try {
                listener.handle(event);
            } catch (Exception e) {
                LOG.log(
                        Level.WARNING,
                        "listener of consumer '" + consumerName + "' failed on event " + event.eventId() + " (entry "
                                + entry.getID() + "); it stays pending for a retry",
                        e);
                return false;
            }
        }
        return true;
    }

    private static boolean sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@return the key of the stream this consumer reads} */
    public String streamKey() {
        return streamKey;
    }

    /** {@return the consumer group} */
    public String group() {
        return group;
    }

    /** {@return this consumer's name within its group} */
    public String consumerName() {
        return consumerName;
    }

    /** {@return the stream that entries delivered more than {@link Builder#maxDeliveries(int)} times are moved to} */
    public String deadLetterStreamKey() {
        return deadLetterStreamKey;
    }

    /**
     * Stops delivering: the entry being handled finishes (and is acknowledged if it succeeded), later ones stay in the
     * stream for the group. Waits up to the block timeout plus 10 seconds for the thread. Idempotent.
     */
    @Override
    public void close() {
        Thread worker;
        RedisClient redis;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            running = false;
            worker = thread;
            redis = client;
        }
        if (worker != null) {
            try {
                worker.join(blockTimeout.toMillis() + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (worker.isAlive()) {
                worker.interrupt();
            }
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** Collects the consumer's settings, checking each as it is set; not thread-safe. */
    public static final class Builder extends RelayConsumerBuilder<Builder> {
        private final String group;
        private final String consumerName;
        private String streamKey = DEFAULT_STREAM_KEY;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private Duration blockTimeout = DEFAULT_BLOCK_TIMEOUT;
        private Duration claimIdleTime = DEFAULT_CLAIM_IDLE_TIME;
        private int maxDeliveries = DEFAULT_MAX_DELIVERIES;
        private @Nullable String deadLetterStreamKey;

        private Builder(String redisUrl, String group, String consumerName) {
            super("redisUrl", redisUrl, RedisStreamPublisher.URL_FORM, RedisStreamPublisher.URL_SCHEMES);
            this.group = name("group", group);
            this.consumerName = name("consumerName", consumerName);
        }

        /**
         * The stream to read; non-blank. Default: {@value #DEFAULT_STREAM_KEY}.
         *
         * @param streamKey the stream key
         * @return this builder
         */
        public Builder streamKey(String streamKey) {
            this.streamKey = name("streamKey", streamKey);
            return this;
        }

        /**
         * At most this many entries per {@code XREADGROUP} and {@code XAUTOCLAIM}; at least 1. Default: 100.
         *
         * @param batchSize the most entries per read
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = atLeast("batchSize", batchSize, 1);
            return this;
        }

        /**
         * How long one {@code XREADGROUP} waits for new entries ({@code BLOCK}); at least 1 ms. It bounds how long
         * {@link #close()} waits and how often stale entries are looked for. Default: 1 s.
         *
         * @param blockTimeout how long one read blocks
         * @return this builder
         */
        public Builder blockTimeout(Duration blockTimeout) {
            this.blockTimeout = positiveMillis("blockTimeout", blockTimeout);
            return this;
        }

        /**
         * How long an entry must have been pending (delivered, not acknowledged) before another delivery claims it
         * ({@code XAUTOCLAIM min-idle-time}); at least 1 ms. Make it longer than the listener's slowest successful
         * run, or a slow entry is delivered twice. Default: 30 s.
         *
         * @param claimIdleTime how long an entry stays pending before it is claimed
         * @return this builder
         */
        public Builder claimIdleTime(Duration claimIdleTime) {
            this.claimIdleTime = positiveMillis("claimIdleTime", claimIdleTime);
            return this;
        }

        /**
         * After this many deliveries of one entry that all failed (or whose consumers died), the next consumer to
         * claim it moves it to the {@linkplain #deadLetterStreamKey(String) dead-letter stream} and acknowledges it,
         * instead of delivering it again; 0 delivers without limit. The count is Redis's, so it includes deliveries
         * to consumers that died. Default: {@value #DEFAULT_MAX_DELIVERIES}.
         *
         * @param maxDeliveries the most deliveries of one entry, or 0 for no limit
         * @return this builder
         */
        public Builder maxDeliveries(int maxDeliveries) {
            this.maxDeliveries = atLeast("maxDeliveries", maxDeliveries, 0);
            return this;
        }

        /**
         * The stream that exhausted entries are appended to, with the original fields plus {@value #FIELD_GROUP},
         * {@value #FIELD_ORIGINAL_ID} and {@value #FIELD_DELIVERIES}; used only when {@link #maxDeliveries(int)} is
         * set. Default: the stream key followed by {@value #DEAD_LETTER_SUFFIX}.
         *
         * @param deadLetterStreamKey the dead-letter stream's key
         * @return this builder
         */
        public Builder deadLetterStreamKey(String deadLetterStreamKey) {
            this.deadLetterStreamKey = name("deadLetterStreamKey", deadLetterStreamKey);
            return this;
        }

        /** {@return the consumer, not yet started; see {@link RedisStreamConsumer#start(EventListener)}} */
        public RedisStreamConsumer build() {
            return new RedisStreamConsumer(this, brokerUri(), codec());
        }
    }
}
