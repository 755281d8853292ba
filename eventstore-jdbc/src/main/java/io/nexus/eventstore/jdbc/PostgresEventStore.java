package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.EventStoreException;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.ReadArguments;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.jdbc.internal.Appender;
import io.nexus.eventstore.jdbc.internal.EventCodec;
import io.nexus.eventstore.jdbc.internal.EventStoreSql;
import io.nexus.eventstore.jdbc.internal.EventReader;
import io.nexus.eventstore.jdbc.internal.Sequencer;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jspecify.annotations.Nullable;

/**
 * The {@link EventStore} on PostgreSQL. Thread-safe; create one per schema and share it.
 *
 * <pre>{@code
 * EventStore store = PostgresEventStore.builder(dataSource)   // the caller owns the pool
 *         .schema("nexus")
 *         .types(EventTypeRegistry.builder().register(OrderPlaced.class).build())
 *         .build();
 * }</pre>
 *
 * <p>An append is one statement and one round trip whatever the batch size. The global order is assigned just after
 * commit by a sequencer (see {@code doc/adr/0001-global-order.md}): positions are dense, never reused, and a reader
 * never skips an event that commits late; a transaction held open elsewhere on the server does not hold readers up.
 *
 * <p>The schema must have been migrated with {@code io.nexus.migrations.EventStoreSchema.migrate}. {@link #close()}
 * stops the sequencer and fetch threads and, when the store was built from a JDBC URL, closes its pool.
 */
public final class PostgresEventStore implements EventStore, AutoCloseable {
    /** The schema used when none is given. */
    public static final String DEFAULT_SCHEMA = "nexus";
    /** The pool size when the store is built from a JDBC URL. */
    public static final int DEFAULT_MAX_POOL_SIZE = 10;

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,49}");

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final EventStoreSql sql;
    private final Appender appender;
    private final EventReader reader;
    private final Sequencer sequencer;
    private final @Nullable HikariDataSource ownedPool;

    private PostgresEventStore(Builder builder, DataSource dataSource, @Nullable HikariDataSource ownedPool) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
        this.sql = EventStoreSql.of(builder.schema);
        EventCodec codec = new EventCodec(builder.types, builder.serializer);
        this.appender = new Appender(sql, codec);
        this.reader = new EventReader(sql, codec);
        this.sequencer = new Sequencer(dataSource, sql);
        this.ownedPool = ownedPool;
    }

    /**
     * Starts a store on a pool the caller owns and closes.
     *
     * @param dataSource the pool
     * @return a builder with every setting at its default
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(requireNonNull(dataSource, "dataSource"), null);
    }

    /**
     * Starts a store that opens and owns a HikariCP pool.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @return a builder with every setting at its default
     * @throws IllegalArgumentException if the URL is not a PostgreSQL one
     */
    public static Builder builder(String jdbcUrl) {
        requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("expected a jdbc:postgresql: URL, was '" + jdbcUrl + "'");
        }
        return new Builder(null, jdbcUrl);
    }

    /** {@return the schema this store reads and writes} */
    public String schema() {
        return sql.schema();
    }

    @Override
    public AppendResult append(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        StreamAppend append = StreamAppend.of(streamId, expectedVersion, events);
        AppendResult result;
        // One autocommit statement on a pooled connection, without a Jdbi handle: the handle's set-up and clean-up
        // were a sixth of an append's client CPU (JFR, 16 writers).
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true); // a pool that hands out transactions would roll the append back
            }
            result = appender.append(connection, append);
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not append to stream '" + streamId + "'", e);
        }
        sequencer.request();
        return result;
    }

    @Override
    public List<AppendResult> appendAll(List<StreamAppend> appends) {
        StreamAppend.checkBatch(appends);
        List<AppendResult> results = run("append to " + appends.size() + " streams", handle -> handle.inTransaction(tx -> {
            List<AppendResult> done = new ArrayList<>();
            for (StreamAppend append : appends) {
                done.add(appender.append(tx.getConnection(), append));
            }
            return done;
        }));
        sequencer.request();
        return List.copyOf(results);
    }

    @Override
    public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int maxCount) {
        ReadArguments.checkStreamRead(streamId, fromVersion, maxCount);
        return run("read stream '" + streamId + "'", handle -> reader.readStream(handle, sequencer, streamId, fromVersion, maxCount, true));
    }

    @Override
    public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int maxCount) {
        ReadArguments.checkStreamRead(streamId, fromVersion, maxCount);
        return run("read stream '" + streamId + "' backward",
                handle -> reader.readStream(handle, sequencer, streamId, fromVersion, maxCount, false));
    }

    @Override
    public long streamVersion(StreamId streamId) {
        requireNonNull(streamId, "streamId");
        return run("read the version of stream '" + streamId + "'", handle -> reader.streamVersion(handle, streamId));
    }

    @Override
    public List<RecordedEvent> readAll(long fromPosition, int maxCount, EventFilter filter) {
        ReadArguments.checkPage(fromPosition, maxCount);
        requireNonNull(filter, "filter");
        return run("read the global order from " + fromPosition, handle -> {
            // A full page needs no sequencing: everything in it is ordered, and later events come with
            // later pages. Only a short page (the reader is at the head) orders what committed since.
            List<RecordedEvent> page = reader.readAll(handle, fromPosition, maxCount, filter);
            if (page.size() == maxCount) {
                return page;
            }
            long head = sequencer.sequence(handle);
            long next = page.isEmpty() ? fromPosition : page.get(page.size() - 1).position() + 1;
            if (head < next) {
                return page;
            }
            List<RecordedEvent> rest = reader.readAll(handle, next, maxCount - page.size(), filter);
            if (page.isEmpty()) {
                return rest;
            }
            List<RecordedEvent> all = new ArrayList<>(page);
            all.addAll(rest);
            return all;
        });
    }

    @Override
    public List<RecordedEvent> readAllUpTo(long fromPosition, long toPosition, int maxCount, EventFilter filter) {
        ReadArguments.checkPage(fromPosition, maxCount);
        requireNonNull(filter, "filter");
        if (toPosition < fromPosition) {
            return List.of();
        }
        return run("read the global order from " + fromPosition + " to " + toPosition,
                handle -> reader.readAllUpTo(handle, fromPosition, toPosition, maxCount, filter));
    }

    @Override
    public long headPosition() {
        return run("read the head position", sequencer::sequence);
    }

    @Override
    public Optional<Long> positionOf(long commitId) {
        return run("read the position of commit " + commitId, handle -> {
            Optional<Long> position = reader.positionOf(handle, commitId);
            if (position.isPresent()) {
                return position;
            }
            sequencer.sequence(handle);
            return reader.positionOf(handle, commitId);
        });
    }

    /**
     * Tells {@code listener} the head of the global order each time this store orders new commits: its sequencer
     * thread after appends, and reads that had to sequence. An event bus in the same process learns of new events this
     * way without waiting for the database's notification to come back (on a quiet 2-vCPU VM that round trip through
     * the LISTEN connection was 1.3 ms of a 4.3 ms commit-to-handler p50); other processes still rely on the
     * notification. Called on the sequencing thread, possibly with a head already told: keep it short and idempotent.
     *
     * @param listener told each new head position
     */
    public void addHeadListener(LongConsumer listener) {
        sequencer.addHeadListener(requireNonNull(listener, "listener"));
    }

    /**
     * Stops telling {@code listener}; see {@link #addHeadListener}.
     *
     * @param listener a listener added before
     */
    public void removeHeadListener(LongConsumer listener) {
        sequencer.removeHeadListener(requireNonNull(listener, "listener"));
    }

    /** Stops the sequencer and the read fetch threads, and closes the pool if this store opened it. */
    @Override
    public void close() {
        sequencer.close();
        reader.close();
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    private <T> T run(String action, HandleCallback<T, RuntimeException> callback) {
        try {
            return jdbi.withHandle(callback);
        } catch (JdbiException | EventStoreException e) {
            throw SqlErrors.translate("could not " + action, e);
        }
    }

    /** Configures a {@link PostgresEventStore}; validates each setting as it is given. Not thread-safe. */
    public static final class Builder {
        private final @Nullable DataSource dataSource;
        private final @Nullable String jdbcUrl;
        private String schema = DEFAULT_SCHEMA;
        private EventTypeRegistry types = EventTypeRegistry.rawJson();
        private EventSerializer serializer = JacksonEventSerializer.create();
        private @Nullable String user;
        private @Nullable String password;
        private int maxPoolSize = DEFAULT_MAX_POOL_SIZE;

        private Builder(@Nullable DataSource dataSource, @Nullable String jdbcUrl) {
            this.dataSource = dataSource;
            this.jdbcUrl = jdbcUrl;
        }

        /**
         * Sets the schema the event store was migrated into. Default: {@value PostgresEventStore#DEFAULT_SCHEMA}.
         *
         * @param schema the schema name
         * @return this builder
         * @throws IllegalArgumentException if the name is not valid, quoting it
         */
        public Builder schema(String schema) {
            requireNonNull(schema, "schema");
            if (!SCHEMA_NAME.matcher(schema).matches()) {
                throw new IllegalArgumentException("schema name must be 1 to 50 characters of a-z, 0-9 and _,"
                        + " not starting with a digit, was '" + schema + "'");
            }
            this.schema = schema;
            return this;
        }

        /**
         * Maps type names to classes for reading. Default: none, every payload reads as {@code RawJson}.
         *
         * @param types the registry
         * @return this builder
         */
        public Builder types(EventTypeRegistry types) {
            this.types = requireNonNull(types, "types");
            return this;
        }

        /**
         * Turns payloads into JSON and back. Default: {@link JacksonEventSerializer#create()}.
         *
         * @param serializer the serializer, thread-safe
         * @return this builder
         */
        public Builder serializer(EventSerializer serializer) {
            this.serializer = requireNonNull(serializer, "serializer");
            return this;
        }

        /**
         * Sets the user for a store built from a JDBC URL. Default: the URL's.
         *
         * @param user the database user
         * @return this builder
         * @throws IllegalStateException if the store was not started from a JDBC URL
         */
        public Builder user(String user) {
            requireUrl("user");
            this.user = requireNonNull(user, "user");
            return this;
        }

        /**
         * Sets the password for a store built from a JDBC URL. Default: the URL's.
         *
         * @param password the database password
         * @return this builder
         * @throws IllegalStateException if the store was not started from a JDBC URL
         */
        public Builder password(String password) {
            requireUrl("password");
            this.password = requireNonNull(password, "password");
            return this;
        }

        /**
         * Sets the pool size for a store built from a JDBC URL. Default: {@value
         * PostgresEventStore#DEFAULT_MAX_POOL_SIZE}.
         *
         * @param maxPoolSize the most connections, at least 2 (appends and the sequencer)
         * @return this builder
         * @throws IllegalStateException if the store was not started from a JDBC URL
         */
        public Builder maxPoolSize(int maxPoolSize) {
            requireUrl("maxPoolSize");
            if (maxPoolSize < 2) {
                throw new IllegalArgumentException("maxPoolSize must be >= 2 (appends and the sequencer), was " + maxPoolSize);
            }
            this.maxPoolSize = maxPoolSize;
            return this;
        }

        private void requireUrl(String setting) {
            if (jdbcUrl == null) {
                throw new IllegalStateException(setting + " applies only to a store built from a JDBC URL;"
                        + " configure it on your DataSource instead");
            }
        }

        /** {@return the store; with a JDBC URL, its pool is opened now} */
        public PostgresEventStore build() {
            if (dataSource != null) {
                return new PostgresEventStore(this, dataSource, null);
            }
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(jdbcUrl);
            if (user != null) {
                config.setUsername(user);
            }
            if (password != null) {
                config.setPassword(password);
            }
            config.setMaximumPoolSize(maxPoolSize);
            config.setPoolName("nexus-" + schema);
            config.setInitializationFailTimeout(-1);
            HikariDataSource pool = new HikariDataSource(config);
            return new PostgresEventStore(this, pool, pool);
        }
    }
}
