package io.nexus.spring.boot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nexus.eventbus.NexusConfig;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DurationUnit;

/**
 * The {@code nexus.*} properties: the keys of the YAML configuration's {@code events:} block ({@link NexusConfig}),
 * with Spring's relaxed binding ({@code nexus.batch-size}, {@code NEXUS_BATCH_SIZE}, {@code nexus.batch_size}), plus
 * what only a Spring application has ({@code nexus.migrate}, {@code nexus.health.*}). A key left unset takes the
 * YAML configuration's default, and every value means what it means there: {@link #toConfig()} hands them to the same
 * reader, so a duration written {@code 1.0} is one second and a bad value fails with the reader's message.
 *
 * <p>The store and the bus run on the application's {@code DataSource}, so the YAML block's {@code jdbc_url} and
 * {@code pool_size} have no place here, and an unknown {@code nexus.*} key fails the start, as in the YAML file.
 * Mutable, as Spring binds it; read once at start.
 */
@ConfigurationProperties(prefix = "nexus", ignoreUnknownFields = false)
public class NexusProperties {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where events go: postgres (the durable store, default), memory (in-process, nothing kept), redis or rabbitmq (a broker; needs nexus-eventbus-redis or -rabbitmq). */
    private @Nullable String backend;
    /** Memory bus: how many emitted events may wait for dispatch (default 10000). */
    private @Nullable Integer maxQueueSize;
    /** Memory bus dispatch threads; projection and saga worker threads (default 1). */
    private @Nullable Integer workerCount;
    /** Memory bus: how long emit waits for room in a full queue; a bare number is seconds (default 5). */
    private @Nullable String emitTimeout;
    /** Durable subscriptions: retries before an event is dead-lettered (default 3). */
    private @Nullable Integer retryAttempts;
    /** First retry delay; a bare number is seconds, or 250ms, 2s, 1m, PT1S (default 1). */
    private @Nullable String retryDelay;
    /** Double the retry delay on each retry (default true). */
    private @Nullable Boolean exponentialBackoff;
    /** Keep events in the PostgreSQL store (default true with backend postgres). */
    private @Nullable Boolean persistEvents;
    /** The event store: postgresql, the only one. */
    private @Nullable String eventStoreBackend;
    /** Events older than this many days are removed; 0 keeps them forever (default 0). */
    private @Nullable Integer eventRetentionDays;
    /** Events read per round trip by subscriptions, projections and sagas (default 100). */
    private @Nullable Integer batchSize;
    /** Polling interval of the head when no notification arrives; a bare number is seconds (default 0.1). */
    private @Nullable String flushInterval;
    /** Record Micrometer meters in the application's MeterRegistry (default true). */
    private @Nullable Boolean enableMetrics;
    /** Events emitted while handling another carry its correlation id and take its id as causation id (default true). */
    private @Nullable Boolean enableTracing;
    /** Migrate the Nexus schema at start-up, in its own history table (default false). */
    private boolean migrate;
    /** With event-retention-days above 0: the pause between runs of the retention job: 1h, 10m, or whole seconds (default 1h). */
    @DurationUnit(ChronoUnit.SECONDS)
    private Duration retentionInterval = Duration.ofHours(1);

    private final Postgresql postgresql = new Postgresql();
    private final Health health = new Health();
    private final Redis redis = new Redis();
    private final Rabbitmq rabbitmq = new Rabbitmq();

    /** The {@code nexus.postgresql.*} keys: the YAML {@code postgresql:} block, less what the DataSource gives. */
    public static class Postgresql {
        /** The event store schema (default nexus). */
        private @Nullable String schema;
        /** How subscribers learn of new events: listen_on_pool (default here), listen (needs listen-url) or poll. */
        private @Nullable String notifications;
        /** With notifications=listen: the URL of the dedicated listening connection (the server, not PgBouncer). */
        private @Nullable String listenUrl;
        /** With listen-url: its user, unless the URL names it. */
        private @Nullable String user;
        /** With listen-url: its password, unless the URL names it. */
        private @Nullable String password;
        /** With event-retention-days above 0: the URL of a connection with the schema owner's role, which may remove events (default: the application's DataSource, if its role may). */
        private @Nullable String ownerUrl;
        /** With owner-url: its user, unless the URL names it. */
        private @Nullable String ownerUser;
        /** With owner-url: its password, unless the URL names it. */
        private @Nullable String ownerPassword;

        /** {@return the schema, or null for the default} */
        public @Nullable String getSchema() {
            return schema;
        }

        /**
         * Sets {@code schema}.
         *
         * @param schema the event store schema
         */
        public void setSchema(@Nullable String schema) {
            this.schema = schema;
        }

        /** {@return the notifications mode, or null for listen_on_pool} */
        public @Nullable String getNotifications() {
            return notifications;
        }

        /**
         * Sets {@code notifications}.
         *
         * @param notifications listen_on_pool, listen or poll
         */
        public void setNotifications(@Nullable String notifications) {
            this.notifications = notifications;
        }

        /** {@return the listening connection's URL, or null} */
        public @Nullable String getListenUrl() {
            return listenUrl;
        }

        /**
         * Sets {@code listenUrl}.
         *
         * @param listenUrl the listening connection's URL
         */
        public void setListenUrl(@Nullable String listenUrl) {
            this.listenUrl = listenUrl;
        }

        /** {@return the listening connection's user, or null} */
        public @Nullable String getUser() {
            return user;
        }

        /**
         * Sets {@code user}.
         *
         * @param user the listening connection's user
         */
        public void setUser(@Nullable String user) {
            this.user = user;
        }

        /** {@return the listening connection's password, or null} */
        public @Nullable String getPassword() {
            return password;
        }

        /**
         * Sets {@code password}.
         *
         * @param password the listening connection's password
         */
        public void setPassword(@Nullable String password) {
            this.password = password;
        }

        /** {@return the schema owner's URL, or null} */
        public @Nullable String getOwnerUrl() {
            return ownerUrl;
        }

        /**
         * Sets {@code ownerUrl}.
         *
         * @param ownerUrl the schema owner's URL
         */
        public void setOwnerUrl(@Nullable String ownerUrl) {
            this.ownerUrl = ownerUrl;
        }

        /** {@return the owner connection's user, or null} */
        public @Nullable String getOwnerUser() {
            return ownerUser;
        }

        /**
         * Sets {@code ownerUser}.
         *
         * @param ownerUser the owner connection's user
         */
        public void setOwnerUser(@Nullable String ownerUser) {
            this.ownerUser = ownerUser;
        }

        /** {@return the owner connection's password, or null} */
        public @Nullable String getOwnerPassword() {
            return ownerPassword;
        }

        /**
         * Sets {@code ownerPassword}.
         *
         * @param ownerPassword the owner connection's password
         */
        public void setOwnerPassword(@Nullable String ownerPassword) {
            this.ownerPassword = ownerPassword;
        }
    }

    /** The {@code nexus.redis.*} keys: the YAML {@code redis:} block, read with {@code nexus.backend=redis}. */
    public static class Redis {
        /** The server as a URL, redis://[:password@]host:port/database or rediss:// (instead of host, port, password, database, ssl). */
        private @Nullable String url;
        /** The server's host (default localhost). */
        private @Nullable String host;
        /** The server's port (default 6379). */
        private @Nullable Integer port;
        /** The server's password, if it needs one. */
        private @Nullable String password;
        /** The database number (default 0). */
        private @Nullable Integer database;
        /** Connect with TLS (default false). */
        private @Nullable Boolean ssl;
        /** Connections to the server (default 10). */
        private @Nullable Integer poolSize;
        /** Prefix of the channels events travel on (default nexus:events). */
        private @Nullable String channelPrefix;
        /** The stream events are kept in (default nexus:event_stream). */
        private @Nullable String streamName;
        /** The consumer group of this application's subscribers (default nexus:processors). */
        private @Nullable String consumerGroup;
        /** The most entries the stream keeps (default 100000). */
        private @Nullable Long maxStreamLength;

        /** {@return the url key, or null if unset} */
        public @Nullable String getUrl() {
            return url;
        }

        /**
         * Sets {@code url}.
         *
         * @param url the url key
         */
        public void setUrl(@Nullable String url) {
            this.url = url;
        }

        /** {@return the host key, or null if unset} */
        public @Nullable String getHost() {
            return host;
        }

        /**
         * Sets {@code host}.
         *
         * @param host the host key
         */
        public void setHost(@Nullable String host) {
            this.host = host;
        }

        /** {@return the port key, or null if unset} */
        public @Nullable Integer getPort() {
            return port;
        }

        /**
         * Sets {@code port}.
         *
         * @param port the port key
         */
        public void setPort(@Nullable Integer port) {
            this.port = port;
        }

        /** {@return the password key, or null if unset} */
        public @Nullable String getPassword() {
            return password;
        }

        /**
         * Sets {@code password}.
         *
         * @param password the password key
         */
        public void setPassword(@Nullable String password) {
            this.password = password;
        }

        /** {@return the database key, or null if unset} */
        public @Nullable Integer getDatabase() {
            return database;
        }

        /**
         * Sets {@code database}.
         *
         * @param database the database key
         */
        public void setDatabase(@Nullable Integer database) {
            this.database = database;
        }

        /** {@return the ssl key, or null if unset} */
        public @Nullable Boolean getSsl() {
            return ssl;
        }

        /**
         * Sets {@code ssl}.
         *
         * @param ssl the ssl key
         */
        public void setSsl(@Nullable Boolean ssl) {
            this.ssl = ssl;
        }

        /** {@return the pool_size key, or null if unset} */
        public @Nullable Integer getPoolSize() {
            return poolSize;
        }

        /**
         * Sets {@code poolSize}.
         *
         * @param poolSize the pool_size key
         */
        public void setPoolSize(@Nullable Integer poolSize) {
            this.poolSize = poolSize;
        }

        /** {@return the channel_prefix key, or null if unset} */
        public @Nullable String getChannelPrefix() {
            return channelPrefix;
        }

        /**
         * Sets {@code channelPrefix}.
         *
         * @param channelPrefix the channel_prefix key
         */
        public void setChannelPrefix(@Nullable String channelPrefix) {
            this.channelPrefix = channelPrefix;
        }

        /** {@return the stream_name key, or null if unset} */
        public @Nullable String getStreamName() {
            return streamName;
        }

        /**
         * Sets {@code streamName}.
         *
         * @param streamName the stream_name key
         */
        public void setStreamName(@Nullable String streamName) {
            this.streamName = streamName;
        }

        /** {@return the consumer_group key, or null if unset} */
        public @Nullable String getConsumerGroup() {
            return consumerGroup;
        }

        /**
         * Sets {@code consumerGroup}.
         *
         * @param consumerGroup the consumer_group key
         */
        public void setConsumerGroup(@Nullable String consumerGroup) {
            this.consumerGroup = consumerGroup;
        }

        /** {@return the max_stream_length key, or null if unset} */
        public @Nullable Long getMaxStreamLength() {
            return maxStreamLength;
        }

        /**
         * Sets {@code maxStreamLength}.
         *
         * @param maxStreamLength the max_stream_length key
         */
        public void setMaxStreamLength(@Nullable Long maxStreamLength) {
            this.maxStreamLength = maxStreamLength;
        }

        /** Adds the {@code redis:} block, if any key is set: the reader refuses the backend without one, as in the file. */
        private void putInto(ObjectNode events) {
            ObjectNode block = JSON.createObjectNode();
            put(block, "url", url);
            put(block, "host", host);
            put(block, "port", port);
            put(block, "password", password);
            put(block, "database", database);
            put(block, "ssl", ssl);
            put(block, "pool_size", poolSize);
            put(block, "channel_prefix", channelPrefix);
            put(block, "stream_name", streamName);
            put(block, "consumer_group", consumerGroup);
            put(block, "max_stream_length", maxStreamLength);
            if (!block.isEmpty()) {
                events.set("redis", block);
            }
        }
    }

    /** The {@code nexus.rabbitmq.*} keys: the YAML {@code rabbitmq:} block, read with {@code nexus.backend=rabbitmq}. */
    public static class Rabbitmq {
        /** The server as a URL, amqp://user:password@host:port/vhost or amqps:// (instead of host, port, username, password, virtual-host, ssl). */
        private @Nullable String url;
        /** The server's host (default localhost). */
        private @Nullable String host;
        /** The server's port (default 5672). */
        private @Nullable Integer port;
        /** The user (default guest). */
        private @Nullable String username;
        /** The user's password (default guest). */
        private @Nullable String password;
        /** The virtual host (default /). */
        private @Nullable String virtualHost;
        /** Connect with TLS (default false). */
        private @Nullable Boolean ssl;
        /** The exchange events are published to (default nexus.events). */
        private @Nullable String exchange;
        /** Prefix of the queues of this application's subscribers (default nexus). */
        private @Nullable String queuePrefix;

        /** {@return the url key, or null if unset} */
        public @Nullable String getUrl() {
            return url;
        }

        /**
         * Sets {@code url}.
         *
         * @param url the url key
         */
        public void setUrl(@Nullable String url) {
            this.url = url;
        }

        /** {@return the host key, or null if unset} */
        public @Nullable String getHost() {
            return host;
        }

        /**
         * Sets {@code host}.
         *
         * @param host the host key
         */
        public void setHost(@Nullable String host) {
            this.host = host;
        }

        /** {@return the port key, or null if unset} */
        public @Nullable Integer getPort() {
            return port;
        }

        /**
         * Sets {@code port}.
         *
         * @param port the port key
         */
        public void setPort(@Nullable Integer port) {
            this.port = port;
        }

        /** {@return the username key, or null if unset} */
        public @Nullable String getUsername() {
            return username;
        }

        /**
         * Sets {@code username}.
         *
         * @param username the username key
         */
        public void setUsername(@Nullable String username) {
            this.username = username;
        }

        /** {@return the password key, or null if unset} */
        public @Nullable String getPassword() {
            return password;
        }

        /**
         * Sets {@code password}.
         *
         * @param password the password key
         */
        public void setPassword(@Nullable String password) {
            this.password = password;
        }

        /** {@return the virtual_host key, or null if unset} */
        public @Nullable String getVirtualHost() {
            return virtualHost;
        }

        /**
         * Sets {@code virtualHost}.
         *
         * @param virtualHost the virtual_host key
         */
        public void setVirtualHost(@Nullable String virtualHost) {
            this.virtualHost = virtualHost;
        }

        /** {@return the ssl key, or null if unset} */
        public @Nullable Boolean getSsl() {
            return ssl;
        }

        /**
         * Sets {@code ssl}.
         *
         * @param ssl the ssl key
         */
        public void setSsl(@Nullable Boolean ssl) {
            this.ssl = ssl;
        }

        /** {@return the exchange key, or null if unset} */
        public @Nullable String getExchange() {
            return exchange;
        }

        /**
         * Sets {@code exchange}.
         *
         * @param exchange the exchange key
         */
        public void setExchange(@Nullable String exchange) {
            this.exchange = exchange;
        }

        /** {@return the queue_prefix key, or null if unset} */
        public @Nullable String getQueuePrefix() {
            return queuePrefix;
        }

        /**
         * Sets {@code queuePrefix}.
         *
         * @param queuePrefix the queue_prefix key
         */
        public void setQueuePrefix(@Nullable String queuePrefix) {
            this.queuePrefix = queuePrefix;
        }

        /** Adds the {@code rabbitmq:} block, if any key is set: the reader refuses the backend without one, as in the file. */
        private void putInto(ObjectNode events) {
            ObjectNode block = JSON.createObjectNode();
            put(block, "url", url);
            put(block, "host", host);
            put(block, "port", port);
            put(block, "username", username);
            put(block, "password", password);
            put(block, "virtual_host", virtualHost);
            put(block, "ssl", ssl);
            put(block, "exchange", exchange);
            put(block, "queue_prefix", queuePrefix);
            if (!block.isEmpty()) {
                events.set("rabbitmq", block);
            }
        }
    }

    /** The {@code nexus.health.*} keys: when the health indicator reports a problem. */
    public static class Health {
        /** Committed events still without a global position after this long mean the sequencer is stuck: 30s, 500ms, or whole seconds. */
        @DurationUnit(ChronoUnit.SECONDS)
        private Duration sequencerStuckAfter = Duration.ofSeconds(30);

        /** A subscription or projection this many positions behind the head is lagging (OUT_OF_SERVICE). */
        private long maxLag = 10_000;

        /** {@return how long an event may wait for its position before the sequencer counts as stuck} */
        public Duration getSequencerStuckAfter() {
            return sequencerStuckAfter;
        }

        /**
         * Sets {@code sequencerStuckAfter}.
         *
         * @param sequencerStuckAfter how long an event may wait for its position
         */
        public void setSequencerStuckAfter(Duration sequencerStuckAfter) {
            this.sequencerStuckAfter = sequencerStuckAfter;
        }

        /** {@return how many positions behind the head count as lagging} */
        public long getMaxLag() {
            return maxLag;
        }

        /**
         * Sets {@code maxLag}.
         *
         * @param maxLag how many positions behind the head count as lagging
         */
        public void setMaxLag(long maxLag) {
            this.maxLag = maxLag;
        }
    }

    /**
     * The configuration these properties give, read by the YAML configuration's reader ({@link
     * NexusConfig#fromYaml(String, java.util.function.Function)}) so that every key is checked and means what it
     * means in the file. The {@code postgresql:} block's {@code jdbc_url} is the listening URL with {@code
     * notifications: listen}; otherwise the store uses the application's pool and the URL is never opened.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the key (in the file's spelling) and what was expected
     */
    public NexusConfig toConfig() {
        ObjectNode events = JSON.createObjectNode();
        put(events, "backend", backend);
        put(events, "max_queue_size", maxQueueSize);
        put(events, "worker_count", workerCount);
        put(events, "emit_timeout", emitTimeout);
        put(events, "retry_attempts", retryAttempts);
        put(events, "retry_delay", retryDelay);
        put(events, "exponential_backoff", exponentialBackoff);
        put(events, "persist_events", persistEvents);
        put(events, "event_store_backend", eventStoreBackend);
        put(events, "event_retention_days", eventRetentionDays);
        put(events, "batch_size", batchSize);
        put(events, "flush_interval", flushInterval);
        put(events, "enable_metrics", enableMetrics);
        put(events, "enable_tracing", enableTracing);
        String mode = postgresql.notifications == null ? "listen_on_pool" : postgresql.notifications;
        boolean memory = backend != null && backend.trim().equalsIgnoreCase("memory");
        if (!memory) {
            ObjectNode block = events.putObject("postgresql");
            if (postgresql.listenUrl == null && mode.trim().equalsIgnoreCase("listen")) {
                throw new IllegalArgumentException("nexus.postgresql.notifications is listen, which needs"
                        + " nexus.postgresql.listen-url: the store runs on the application's DataSource and has no URL"
                        + " of its own; give the server's URL, or use listen_on_pool (the default) or poll");
            }
            // Only a LISTEN connection ever opens this URL; without one the store runs on the application's pool.
            put(block, "jdbc_url", postgresql.listenUrl != null ? postgresql.listenUrl : UNUSED_URL);
            put(block, "user", postgresql.user);
            put(block, "password", postgresql.password);
            put(block, "schema", postgresql.schema);
            put(block, "notifications", mode);
        }
        String chosen = backend == null ? "" : backend.trim().toLowerCase(java.util.Locale.ROOT);
        if (chosen.equals("redis")) {
            redis.putInto(events);
        } else if (chosen.equals("rabbitmq")) {
            rabbitmq.putInto(events);
        }
        ObjectNode root = JSON.createObjectNode();
        root.set("events", events);
        // JSON is YAML: the file's reader checks and interprets every key, with no variables left to substitute.
        return NexusConfig.fromYaml(root.toString(), name -> null);
    }

    /** Stands in for the YAML block's required {@code jdbc_url} where no connection is opened on it. */
    private static final String UNUSED_URL = "jdbc:postgresql://application-datasource/";

    private static void put(ObjectNode node, String key, @Nullable Object value) {
        if (value != null) {
            node.putPOJO(key, value);
        }
    }

    /** {@return the backend, or null for the default} */
    public @Nullable String getBackend() {
        return backend;
    }

    /**
     * Sets {@code backend}.
     *
     * @param backend postgres, memory, redis or rabbitmq
     */
    public void setBackend(@Nullable String backend) {
        this.backend = backend;
    }

    /** {@return the memory bus's queue size, or null for the default} */
    public @Nullable Integer getMaxQueueSize() {
        return maxQueueSize;
    }

    /**
     * Sets {@code maxQueueSize}.
     *
     * @param maxQueueSize the memory bus's queue size
     */
    public void setMaxQueueSize(@Nullable Integer maxQueueSize) {
        this.maxQueueSize = maxQueueSize;
    }

    /** {@return the worker count, or null for the default} */
    public @Nullable Integer getWorkerCount() {
        return workerCount;
    }

    /**
     * Sets {@code workerCount}.
     *
     * @param workerCount dispatch and worker threads
     */
    public void setWorkerCount(@Nullable Integer workerCount) {
        this.workerCount = workerCount;
    }

    /** {@return the emit timeout as written, or null for the default} */
    public @Nullable String getEmitTimeout() {
        return emitTimeout;
    }

    /**
     * Sets {@code emitTimeout}.
     *
     * @param emitTimeout how long emit waits for room in a full memory queue
     */
    public void setEmitTimeout(@Nullable String emitTimeout) {
        this.emitTimeout = emitTimeout;
    }

    /** {@return the retry attempts, or null for the default} */
    public @Nullable Integer getRetryAttempts() {
        return retryAttempts;
    }

    /**
     * Sets {@code retryAttempts}.
     *
     * @param retryAttempts retries before dead-lettering
     */
    public void setRetryAttempts(@Nullable Integer retryAttempts) {
        this.retryAttempts = retryAttempts;
    }

    /** {@return the first retry delay as written, or null for the default} */
    public @Nullable String getRetryDelay() {
        return retryDelay;
    }

    /**
     * Sets {@code retryDelay}.
     *
     * @param retryDelay the first retry delay
     */
    public void setRetryDelay(@Nullable String retryDelay) {
        this.retryDelay = retryDelay;
    }

    /** {@return whether retries back off exponentially, or null for the default} */
    public @Nullable Boolean getExponentialBackoff() {
        return exponentialBackoff;
    }

    /**
     * Sets {@code exponentialBackoff}.
     *
     * @param exponentialBackoff whether each retry doubles the delay
     */
    public void setExponentialBackoff(@Nullable Boolean exponentialBackoff) {
        this.exponentialBackoff = exponentialBackoff;
    }

    /** {@return whether events are kept, or null for the backend's default} */
    public @Nullable Boolean getPersistEvents() {
        return persistEvents;
    }

    /**
     * Sets {@code persistEvents}.
     *
     * @param persistEvents whether events are kept in PostgreSQL
     */
    public void setPersistEvents(@Nullable Boolean persistEvents) {
        this.persistEvents = persistEvents;
    }

    /** {@return the event store backend, or null for the default} */
    public @Nullable String getEventStoreBackend() {
        return eventStoreBackend;
    }

    /**
     * Sets {@code eventStoreBackend}.
     *
     * @param eventStoreBackend postgresql
     */
    public void setEventStoreBackend(@Nullable String eventStoreBackend) {
        this.eventStoreBackend = eventStoreBackend;
    }

    /** {@return the retention in days, or null for the default} */
    public @Nullable Integer getEventRetentionDays() {
        return eventRetentionDays;
    }

    /**
     * Sets {@code eventRetentionDays}.
     *
     * @param eventRetentionDays days after which events are removed; 0 keeps them
     */
    public void setEventRetentionDays(@Nullable Integer eventRetentionDays) {
        this.eventRetentionDays = eventRetentionDays;
    }

    /** {@return the batch size, or null for the default} */
    public @Nullable Integer getBatchSize() {
        return batchSize;
    }

    /**
     * Sets {@code batchSize}.
     *
     * @param batchSize events read per round trip
     */
    public void setBatchSize(@Nullable Integer batchSize) {
        this.batchSize = batchSize;
    }

    /** {@return the flush interval as written, or null for the default} */
    public @Nullable String getFlushInterval() {
        return flushInterval;
    }

    /**
     * Sets {@code flushInterval}.
     *
     * @param flushInterval the polling interval
     */
    public void setFlushInterval(@Nullable String flushInterval) {
        this.flushInterval = flushInterval;
    }

    /** {@return whether meters are recorded, or null for the default} */
    public @Nullable Boolean getEnableMetrics() {
        return enableMetrics;
    }

    /**
     * Sets {@code enableMetrics}.
     *
     * @param enableMetrics whether meters are recorded
     */
    public void setEnableMetrics(@Nullable Boolean enableMetrics) {
        this.enableMetrics = enableMetrics;
    }

    /** {@return whether tracing is on, or null for the default} */
    public @Nullable Boolean getEnableTracing() {
        return enableTracing;
    }

    /**
     * Sets {@code enableTracing}.
     *
     * @param enableTracing whether correlation and causation ids are carried
     */
    public void setEnableTracing(@Nullable Boolean enableTracing) {
        this.enableTracing = enableTracing;
    }

    /** {@return whether the schema is migrated at start-up} */
    public boolean isMigrate() {
        return migrate;
    }

    /**
     * Sets {@code migrate}.
     *
     * @param migrate whether to migrate the schema at start-up
     */
    public void setMigrate(boolean migrate) {
        this.migrate = migrate;
    }

    /** {@return the pause between runs of the retention job} */
    public Duration getRetentionInterval() {
        return retentionInterval;
    }

    /**
     * Sets {@code retentionInterval}.
     *
     * @param retentionInterval the pause between runs of the retention job
     */
    public void setRetentionInterval(Duration retentionInterval) {
        this.retentionInterval = retentionInterval;
    }

    /** {@return the {@code nexus.postgresql.*} keys} */
    public Postgresql getPostgresql() {
        return postgresql;
    }

    /** {@return the {@code nexus.redis.*} keys} */
    public Redis getRedis() {
        return redis;
    }

    /** {@return the {@code nexus.rabbitmq.*} keys} */
    public Rabbitmq getRabbitmq() {
        return rabbitmq;
    }

    /** {@return the {@code nexus.health.*} keys} */
    public Health getHealth() {
        return health;
    }
}
