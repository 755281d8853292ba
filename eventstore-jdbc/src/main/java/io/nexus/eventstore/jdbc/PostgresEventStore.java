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
import io.nexus.eventstore.core.SchemaName;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.eventstore.jdbc.internal.Appender;
import io.nexus.eventstore.jdbc.internal.DatabaseLocation;
import io.nexus.eventstore.jdbc.internal.EventCodec;
import io.nexus.eventstore.jdbc.internal.EventReader;
import io.nexus.eventstore.jdbc.internal.EventStoreSql;
import io.nexus.eventstore.jdbc.internal.Sequencer;
import io.nexus.eventstore.jdbc.internal.SetupCheck;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import io.nexus.eventstore.jdbc.internal.StoreNotifications;
import io.nexus.eventstore.jdbc.internal.SubjectKeyTable;
import io.nexus.eventstore.json.JacksonEventSerializer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
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
 * <p><b>Following the head.</b> Subscribers in this process follow the global order through {@link
 * #watchHead(Duration)}: one tracker per store and process learns each new head from this store's own appends at
 * once, from other processes' appends by LISTEN/NOTIFY, and by polling. Where that LISTEN runs is {@link
 * Builder#notifications(HeadNotifications)}: behind PgBouncer in transaction pooling a LISTEN on a pooled connection
 * is never delivered, so give it a direct server URL ({@link HeadNotifications#listen(String)}) or poll only ({@link
 * HeadNotifications#pollOnly()}). A LISTEN that does not deliver is detected when it starts, logged once as a
 * WARNING, and replaced by polling. See the README's "Production setup: pools and notifications".
 *
 * <p>The schema must have been migrated with {@code io.nexus.migrations.EventStoreSchema.migrate}; on a schema that was
 * not, every operation throws {@link io.nexus.eventstore.core.SchemaNotMigratedException} naming the migrate call and
 * command. When the database cannot be reached, operations throw {@link EventStoreAccessException} naming its host,
 * port and database, after the pool's wait for a connection ({@link Builder#connectTimeout(Duration)} for a store built
 * from a JDBC URL; the caller's pool settings otherwise). {@link #close()} stops the sequencer and fetch threads and,
 * when the store was built from a JDBC URL, closes its pool.
 *
 * <p>The pool may hand out connections with autocommit on or off: the store switches each connection it borrows to
 * autocommit (see {@link AutoCommitDataSource}), so its appends and the global order commit on either.
 */
public final class PostgresEventStore implements EventStore, AutoCloseable {
    /** The schema used when none is given. */
    public static final String DEFAULT_SCHEMA = "nexus";
    /** The pool size when the store is built from a JDBC URL. */
    public static final int DEFAULT_MAX_POOL_SIZE = 10;
    /**
     * How long a store built from a JDBC URL waits for a connection before an operation fails: 5 seconds. See {@link
     * Builder#connectTimeout(Duration)}.
     */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final EventStoreSql sql;
    private final Appender appender;
    private final EventCodec codec;
    private final EventTypeRegistry types;
    private final SubjectKeyTable subjectKeys;
    private final EventReader reader;
    private final Sequencer sequencer;
    private final @Nullable HikariDataSource ownedPool;
    private final HeadNotifications notifications;
    private final Set<HeadWatch> watches = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final DatabaseLocation location;
    private final EventSerializer serializer;
    /** The store this one is the {@linkplain #storedForm() stored-form view} of; null for a store of its own. */
    private final @Nullable PostgresEventStore viewOf;

    private volatile @Nullable PostgresEventStore storedForm;

    private PostgresEventStore(
            Builder builder,
            DataSource dataSource,
            @Nullable HikariDataSource ownedPool,
            HeadNotifications notifications) {
        this.dataSource = AutoCommitDataSource.from(dataSource); // every write of the store commits, on any pool
        this.jdbi = Jdbi.create(this.dataSource);
        this.sql = EventStoreSql.of(builder.schema);
        this.types = builder.types;
        this.subjectKeys = new SubjectKeyTable(this.dataSource, sql.schema());
        this.codec = new EventCodec(builder.types, builder.serializer, subjectKeys);
        this.appender = new Appender(sql, codec);
        this.reader = new EventReader(sql, codec);
        this.sequencer = new Sequencer(this.dataSource, sql);
        this.ownedPool = ownedPool;
        this.notifications = notifications;
        this.location = DatabaseLocation.of(dataSource);
        this.serializer = builder.serializer;
        this.viewOf = null;
    }

    /** The stored-form view of {@code store}: its pool, sequencer, keys and writes, and a reader of its own. */
    private PostgresEventStore(PostgresEventStore store) {
        this.dataSource = store.dataSource;
        this.jdbi = store.jdbi;
        this.sql = store.sql;
        this.types = EventTypeRegistry.rawJson();
        this.subjectKeys = store.subjectKeys;
        this.codec = store.codec;
        this.appender = store.appender;
        this.reader = new EventReader(sql, EventCodec.storedForm(store.serializer));
        this.sequencer = store.sequencer;
        this.ownedPool = null;
        this.notifications = store.notifications;
        this.location = store.location;
        this.serializer = store.serializer;
        this.viewOf = store;
    }

    /**
     * A builder for a store on {@code dataSource}, which the caller owns and closes. Its connections may start with
     * autocommit on or off; see {@link AutoCommitDataSource}.
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
        prepareKeys(List.of(append));
        AppendResult result;
        // One autocommit statement on a pooled connection, without a Jdbi handle: the handle's set-up and clean-up
        // were a sixth of an append's client CPU (JFR, 16 writers).
        try (Connection connection = dataSource.getConnection()) {
            location.learnFrom(connection);
            result = appender.append(connection, append);
        } catch (SQLException | EventStoreAccessException e) {
            throw SqlErrors.translate("could not append to stream '" + streamId + "'", e, sql.schema(), location);
        }
        sequencer.request();
        return result;
    }

    @Override
    public List<AppendResult> appendAll(List<StreamAppend> appends) {
        StreamAppend.checkBatch(appends);
        prepareKeys(appends);
        List<AppendResult> results = run(
                "append to " + appends.size() + " streams",
                handle -> handle.inTransaction(tx -> {
                    List<AppendResult> done = new ArrayList<>();
                    for (StreamAppend append : appends) {
                        done.add(appender.append(tx.getConnection(), append));
                    }
                    return done;
                }));
        sequencer.request();
        return List.copyOf(results);
    }

    /**
     * Appends to one stream on the caller's connection, inside the caller's transaction: the events commit when the
     * caller commits, together with whatever else it wrote on that connection, and vanish if it rolls back (no
     * subscriber ever sees them). Expected versions, idempotent re-sends and the duplicate checks hold as for {@link
     * #append(StreamId, ExpectedVersion, List)}; the stream's row stays locked until the caller's transaction ends, so a
     * concurrent append to the same stream waits for it. The store never commits, rolls back, closes or switches the
     * connection's autocommit.
     *
     * <p>Works with any connection of the store's database whose transaction the caller controls: a plain JDBC
     * connection with autocommit off, a Jdbi handle's ({@code handle.getConnection()} inside {@code
     * handle.useTransaction}), Spring's {@code DataSourceUtils.getConnection(dataSource)} inside a {@code
     * @Transactional} method or a {@code TransactionTemplate}. A connection in autocommit is refused: each statement
     * would commit on its own, so the append would not join anything.
     *
     * <p>A failed append aborts the caller's transaction, as any failed statement does in PostgreSQL: roll it back.
     * After the commit the events get their global positions from the store's sequencer within its idle interval (a
     * second), or at once when this process appends again or a reader reaches the head; {@link
     * #inTransaction(PostgresTransaction.Callback)} orders them right after its commit.
     *
     * @param connection a connection to the store's database, in a transaction (autocommit off)
     * @param streamId the stream to append to
     * @param expectedVersion where the caller believes the stream is
     * @param events the events, at least one
     * @return the versions written and the append's commit id; they count only once the caller commits
     * @throws IllegalArgumentException if the connection is in autocommit
     * @throws io.nexus.eventstore.core.WrongExpectedVersionException if the stream is not where the caller expected
     * @throws io.nexus.eventstore.core.DuplicateEventException if an event id is stored already and this is not a
     *     re-send of that append
     * @throws EventStoreAccessException if the database fails
     */
    public AppendResult append(
            Connection connection, StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        StreamAppend append = StreamAppend.of(streamId, expectedVersion, events);
        requireCallersTransaction(connection);
        prepareKeys(List.of(append)); // committed on a connection of its own, before the caller's transaction uses them
        try {
            return appender.append(connection, append);
        } catch (EventStoreAccessException e) {
            throw SqlErrors.translate("could not append to stream '" + streamId + "'", e, sql.schema(), location);
        }
    }

    /**
     * Appends to several streams on the caller's connection, inside the caller's transaction; see {@link
     * #append(Connection, StreamId, ExpectedVersion, List)}. Each stream may appear once.
     *
     * @param connection a connection to the store's database, in a transaction (autocommit off)
     * @param appends the appends, one per stream
     * @return one result per append, in the order given; they count only once the caller commits
     * @throws IllegalArgumentException if the connection is in autocommit, or a stream appears twice
     * @throws io.nexus.eventstore.core.WrongExpectedVersionException if a stream is not where the caller expected
     * @throws EventStoreAccessException if the database fails
     */
    public List<AppendResult> appendAll(Connection connection, List<StreamAppend> appends) {
        StreamAppend.checkBatch(appends);
        requireCallersTransaction(connection);
        prepareKeys(appends);
        List<AppendResult> results = new ArrayList<>();
        try {
            for (StreamAppend append : appends) {
                results.add(appender.append(connection, append));
            }
        } catch (EventStoreAccessException e) {
            throw SqlErrors.translate("could not append to " + appends.size() + " streams", e, sql.schema(), location);
        }
        return List.copyOf(results);
    }

    /**
     * Appends to one stream on a Jdbi handle, inside the handle's transaction; see {@link #append(Connection, StreamId,
     * ExpectedVersion, List)}.
     *
     * @param handle a handle on the store's database, inside {@code handle.inTransaction} or {@code useTransaction}
     * @param streamId the stream to append to
     * @param expectedVersion where the caller believes the stream is
     * @param events the events, at least one
     * @return the versions written and the append's commit id; they count only once the handle's transaction commits
     * @throws IllegalArgumentException if the handle is not in a transaction
     */
    public AppendResult append(
            Handle handle, StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        return append(requireNonNull(handle, "handle").getConnection(), streamId, expectedVersion, events);
    }

    /**
     * Runs {@code callback} in a transaction of its own on a connection of the store's pool, and commits when it
     * returns: its appends ({@link PostgresTransaction#append}) and its own statements ({@link
     * PostgresTransaction#connection()}) commit together. If it throws, everything is rolled back and nothing is
     * dispatched to any subscriber. Right after the commit the store orders the new events in the global order.
     *
     * @param callback the work; it must not keep the transaction beyond its return
     * @param <T> what the work returns
     * @return what {@code callback} returned
     * @throws io.nexus.eventstore.core.WrongExpectedVersionException if an append's expected version did not hold;
     *     everything was rolled back
     * @throws EventStoreAccessException if the database failed, or {@code callback} threw an {@link SQLException};
     *     everything was rolled back
     * @throws RuntimeException whatever {@code callback} threw, after the rollback
     */
    public <T> T inTransaction(PostgresTransaction.Callback<T> callback) {
        requireNonNull(callback, "callback");
        T result;
        try (Connection connection = dataSource.getConnection()) {
            location.learnFrom(connection);
            result = runInTransaction(connection, callback);
        } catch (SQLException e) {
            throw SqlErrors.translate("could not run a transaction", e, sql.schema(), location);
        }
        sequencer.request();
        return result;
    }

    /**
     * Runs {@code callback} in a transaction as {@link #inTransaction(PostgresTransaction.Callback)} does, for work that
     * returns nothing.
     *
     * @param callback the work; it must not keep the transaction beyond its return
     * @throws io.nexus.eventstore.core.WrongExpectedVersionException if an append's expected version did not hold;
     *     everything was rolled back
     * @throws EventStoreAccessException if the database failed, or {@code callback} threw an {@link SQLException};
     *     everything was rolled back
     */
    public void useTransaction(PostgresTransaction.Consumer callback) {
        requireNonNull(callback, "callback");
        inTransaction(tx -> {
            callback.accept(tx);
            return Boolean.TRUE; // ignored; a non-null placeholder, as results are never null here
        });
    }

    /** Runs {@code callback} in a transaction on {@code connection} (borrowed in autocommit) and restores autocommit. */
    private <T> T runInTransaction(Connection connection, PostgresTransaction.Callback<T> callback)
            throws SQLException {
        connection.setAutoCommit(false);
        PostgresTransaction tx = new PostgresTransaction(this, connection);
        T result;
        try {
            try {
                result = callback.apply(tx);
            } catch (SQLException callers) {
                // The caller's own statement failed: not the store's schema, so no "not migrated" translation.
                throw new EventStoreAccessException("the transaction's work failed and was rolled back", callers);
            }
            connection.commit();
        } catch (SQLException | RuntimeException | Error e) {
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        } finally {
            tx.end();
        }
        // Only on success: after a failure the connection may be broken, and the pool (or the store's own
        // AutoCommitDataSource at the next borrow) sets autocommit again anyway.
        connection.setAutoCommit(true);
        return result;
    }

    /** Refuses a connection in autocommit: the caller's append would commit on its own instead of joining anything. */
    private void requireCallersTransaction(Connection connection) {
        requireNonNull(connection, "connection");
        boolean autoCommit;
        try {
            autoCommit = connection.getAutoCommit();
        } catch (SQLException e) {
            throw SqlErrors.translate("could not read the connection's autocommit", e, sql.schema(), location);
        }
        if (autoCommit) {
            throw new IllegalArgumentException("the connection is in autocommit, so an append on it would commit on"
                    + " its own: call connection.setAutoCommit(false) and commit yourself (or use Spring's"
                    + " DataSourceUtils.getConnection inside a transaction, or Jdbi's handle.useTransaction), or let"
                    + " the store run the transaction with store.inTransaction(tx -> ...)");
        }
    }

    @Override
    public void deleteStream(StreamId streamId, ExpectedVersion expectedVersion) {
        requireNonNull(streamId, "streamId");
        requireNonNull(expectedVersion, "expectedVersion");
        try (Connection connection = dataSource.getConnection()) {
            location.learnFrom(connection);
            appender.deleteStream(connection, streamId, expectedVersion);
        } catch (SQLException | EventStoreAccessException e) {
            throw SqlErrors.translate("could not delete stream '" + streamId + "'", e, sql.schema(), location);
        }
    }

    private void prepareKeys(List<StreamAppend> appends) {
        try {
            for (StreamAppend append : appends) {
                codec.prepareKeys(append.events());
            }
        } catch (EventStoreAccessException e) {
            throw SqlErrors.translate("could not prepare the keys of personal data", e, sql.schema(), location);
        }
    }

    /**
     * Erases a data subject (crypto-shredding): deletes the key that encrypts its {@link
     * io.nexus.eventstore.core.PersonalData}. Every event stays, and reads as before except that those fields are null
     * and {@link RecordedEvent#isRedacted()} is true; projections rebuilt afterwards hold no personal data of the
     * subject. Irreversible. Once it has committed, no read in any process decrypts those fields (reads never use a
     * cached key), relay consumers included. An event for the same subject appended later gets a new key; one that
     * another process appends within 30 seconds (its cache of keys for writing) is encrypted with the erased key and
     * reads masked.
     *
     * @param subject the subject's id, as its {@link io.nexus.eventstore.core.DataSubject} value's {@code toString()}
     * @return whether the subject had a key
     * @throws EventStoreAccessException if the database cannot be reached
     */
    public boolean eraseSubject(String subject) {
        requireNonNull(subject, "subject");
        try {
            return subjectKeys.erase(subject);
        } catch (EventStoreAccessException e) {
            throw SqlErrors.translate("could not erase a data subject", e, sql.schema(), location);
        }
    }

    /**
     * The keys of this store's data subjects, for codecs that encrypt or decrypt personal data outside the store: give
     * them to a broker relay so that personal fields travel encrypted and its consumers can decrypt them.
     *
     * @return the keys, cached as the store caches them
     */
    public PersonalDataKeys personalDataKeys() {
        return subjectKeys;
    }

    /**
     * A view of this store that reads every event as it is stored, for relays that carry events out of the process:
     * each payload as {@link io.nexus.eventstore.core.RawJson}, its {@link io.nexus.eventstore.core.PersonalData}
     * fields still encrypted (a consumer decrypts them with the {@link #personalDataKeys()}, or reads them masked
     * once the subject is erased), in the schema version it was written in (a consumer's registry upcasts it), and
     * with the reserved metadata entries as stored ({@code nexus.encrypted}, {@link
     * RecordedEvent#SCHEMA_VERSION_KEY}). It reads every type, whatever this store's registry knows. Appends, the
     * global order and head watches are this store's; closing the view does nothing, closing this store ends it.
     *
     * @return the view, one per store
     */
    public PostgresEventStore storedForm() {
        if (viewOf != null) {
            return this;
        }
        PostgresEventStore view = storedForm;
        if (view == null) {
            synchronized (this) {
                view = storedForm;
                if (view == null) {
                    view = new PostgresEventStore(this);
                    storedForm = view;
                }
            }
        }
        return view;
    }

    @Override
    public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int maxCount) {
        ReadArguments.checkStreamRead(streamId, fromVersion, maxCount);
        return run(
                "read stream '" + streamId + "'",
                handle -> reader.readStream(handle, sequencer, streamId, fromVersion, maxCount, true));
    }

    @Override
    public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int maxCount) {
        ReadArguments.checkStreamRead(streamId, fromVersion, maxCount);
        return run(
                "read stream '" + streamId + "' backward",
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
        EventFilter stored = types.storedFilter(filter);
        if (stored.equals(filter)) {
            return readAllStored(fromPosition, maxCount, filter);
        }
        return refiltered(filter, fromPosition, maxCount, (from, max) -> readAllStored(from, max, stored));
    }

    /**
     * A filtered read whose filter had to be widened to old type names ({@link EventTypeRegistry#storedFilter}):
     * keeps the events that match {@code filter} once upcast, and reads on while a page came back full, so a short
     * result still means "nothing more up to the head", which subscribers rely on.
     */
    private static List<RecordedEvent> refiltered(
            EventFilter filter, long fromPosition, int maxCount, PageRead readStored) {
        List<RecordedEvent> kept = new ArrayList<>();
        long from = fromPosition;
        // Counted in positions, as a page is: the parts of a split event come together and fill one place.
        int keptPositions = 0;
        while (keptPositions < maxCount) {
            int wanted = maxCount - keptPositions;
            List<RecordedEvent> page = readStored.read(from, wanted);
            List<RecordedEvent> matching = page.stream()
                    .filter(event -> filter.matches(event.type(), event.category()))
                    .toList();
            kept.addAll(matching);
            keptPositions += EventStore.positionsIn(matching);
            if (EventStore.positionsIn(page) < wanted) {
                break;
            }
            from = page.get(page.size() - 1).position() + 1;
        }
        return kept;
    }

    @FunctionalInterface
    private interface PageRead {
        List<RecordedEvent> read(long from, int max);
    }

    private List<RecordedEvent> readAllStored(long fromPosition, int maxCount, EventFilter filter) {
        return run("read the global order from " + fromPosition, handle -> {
            // A full page needs no sequencing: everything in it is ordered, and later events come with
            // later pages. Only a short page (the reader is at the head) orders what committed since.
            List<RecordedEvent> page = reader.readAll(handle, fromPosition, maxCount, filter);
            int positions = EventStore.positionsIn(page);
            if (positions >= maxCount) {
                return page;
            }
            long head = sequencer.sequence(handle);
            long next =
                    page.isEmpty() ? fromPosition : page.get(page.size() - 1).position() + 1;
            if (head < next) {
                return page;
            }
            // Up to the head: the events the sequencing just ordered.
            List<RecordedEvent> rest = reader.readAllUpTo(handle, next, head, maxCount - positions, filter);
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
        EventFilter stored = types.storedFilter(filter);
        PageRead read = (from, max) -> from > toPosition
                ? List.of()
                : run(
                        "read the global order from " + from + " to " + toPosition,
                        handle -> reader.readAllUpTo(handle, from, toPosition, max, stored));
        return stored.equals(filter)
                ? read.read(fromPosition, maxCount)
                : refiltered(filter, fromPosition, maxCount, read);
    }

    @Override
    public long headPosition() {
        return run("read the head position", sequencer::sequence);
    }

    /** {@inheritDoc} One row read by its key, no lock: the sequencer's last position as committed. */
    @Override
    public long orderedHeadPosition() {
        return run("read the ordered head position", reader::orderedHead);
    }

    /**
     * The sequencer as it stands, read without running it, for health checks: {@link #headPosition()} runs the
     * sequencer, so it would wait behind a stuck sequencing run (the very thing to report) and would unstick one that
     * no process runs, hiding it.
     *
     * @return the last position the sequencer gave, and how long the oldest committed event without one has waited
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached
     * @throws io.nexus.eventstore.core.SchemaNotMigratedException if the schema holds no event store
     */
    public SequencerStatus sequencerStatus() {
        return run("read the sequencer's status", reader::sequencerStatus);
    }

    /**
     * What in the server's or this schema's settings keeps the store from staying fast, read without changing
     * anything: today autovacuum turned off (for the server, or for one of the schema's tables) and {@code
     * track_counts} off, under which the event store's tables are never analyzed and appends slow down as they
     * grow. Each entry says what was found and what to do. A store that follows the head (an event bus, a
     * projection daemon) logs them once as a warning; {@code nexus stats} and {@code nexus migrate} print them.
     *
     * @return the warnings, empty when there are none
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database cannot be reached
     */
    public List<String> setupWarnings() {
        try (Connection connection = dataSource.getConnection()) {
            return SetupCheck.read(connection, schema()).warnings(schema());
        } catch (SQLException e) {
            throw SqlErrors.translate("could not read the server's settings", e, schema(), location);
        }
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

    @Override
    public long removedEvents(long fromPosition, long toPosition) {
        return run(
                "count removed events from " + fromPosition + " to " + toPosition,
                handle -> reader.removedEvents(handle, fromPosition, toPosition));
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

    /**
     * Starts following the head of the global order for one subscriber: the way for a subscriber to wait until the
     * head passes a position and to be told of new heads without knowing the store's SQL or notification channel.
     * Every watch of this store (and of other stores on the same {@code DataSource}, schema and {@link
     * HeadNotifications}) shares one tracker: one connection and one thread per process, polling at the shortest
     * interval any open watch asked for. Close the watch when the subscriber stops; {@link #close()} closes the
     * watches still open.
     *
     * @param pollInterval how often the head is polled (and commits nobody ordered are ordered) when no notification
     *     arrives; with {@link HeadNotifications#pollOnly()} the most a subscriber lags behind an append of another
     *     process; positive
     * @return the watch; close it when the subscriber stops
     * @throws IllegalArgumentException if {@code pollInterval} is not positive
     * @throws IllegalStateException if this store is closed
     */
    public HeadWatch watchHead(Duration pollInterval) {
        if (viewOf != null) {
            return viewOf.watchHead(pollInterval);
        }
        requireNonNull(pollInterval, "pollInterval");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
        }
        if (closed) {
            throw new IllegalStateException("the store on schema " + schema() + " is closed");
        }
        StoreNotifications tracker = StoreNotifications.shared(dataSource, schema(), pollInterval, notifications);
        StoreHeadWatch watch = new StoreHeadWatch(tracker, sequencer, watches::remove);
        watches.add(watch);
        return watch;
    }

    /** {@return where this store's head watches LISTEN: as given to {@link Builder#notifications}, or its default} */
    public HeadNotifications notifications() {
        return notifications;
    }

    /** The store's pool, connections switched to autocommit when borrowed; for the snapshot store beside it. */
    DataSource autoCommitDataSource() {
        return dataSource;
    }

    /** The store's serializer; the snapshot store beside it writes states with it. */
    EventSerializer serializer() {
        return serializer;
    }

    /** Where the store's database is, for error messages. */
    DatabaseLocation location() {
        return location;
    }

    /** The pool this store opened from a JDBC URL, if it did; for tests of its settings. */
    @Nullable
    HikariDataSource ownedPool() {
        return ownedPool;
    }

    /**
     * Stops the sequencer and the read fetch threads, and closes the pool if this store opened it. Does nothing on the
     * {@linkplain #storedForm() stored-form view}.
     */
    @Override
    public void close() {
        if (viewOf != null) {
            return;
        }
        closed = true;
        PostgresEventStore view = storedForm;
        if (view != null) {
            view.reader.close();
        }
        for (HeadWatch watch : List.copyOf(watches)) {
            watch.close();
        }
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
            throw SqlErrors.translate("could not " + action, e, sql.schema(), location);
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
        private @Nullable HeadNotifications notifications;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;

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
            this.schema = SchemaName.of(schema).value();
            return this;
        }

        /**
         * Where the store's {@link HeadWatch}es LISTEN for new heads (see {@link HeadNotifications}). Default: for a
         * store built from a JDBC URL, {@link HeadNotifications#listen(String, String, String) listen} on a dedicated
         * connection to that URL with the builder's user and password; for a store on a caller's {@code DataSource},
         * {@link HeadNotifications#listenOnPool()}. Behind PgBouncer in transaction pooling, give {@link
         * HeadNotifications#listen(String)} a direct server URL, or {@link HeadNotifications#pollOnly()}.
         *
         * @param notifications the wake-up source
         * @return this builder
         */
        public Builder notifications(HeadNotifications notifications) {
            this.notifications = requireNonNull(notifications, "notifications");
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
                throw new IllegalArgumentException(
                        "maxPoolSize must be >= 2 (appends and the sequencer), was " + maxPoolSize);
            }
            this.maxPoolSize = maxPoolSize;
            return this;
        }

        /**
         * For a store built from a JDBC URL, how long an operation waits for a connection before it fails with an
         * {@link EventStoreAccessException} naming host, port and database: the pool's wait (HikariCP {@code
         * connectionTimeout}), and the driver's TCP connect and login (pgjdbc {@code connectTimeout} and {@code
         * loginTimeout}, in whole seconds rounded up; the URL's own values win). At least 250 ms. Default: {@link
         * #DEFAULT_CONNECT_TIMEOUT}, 5 s instead of HikariCP's 30: a healthy server on the same network connects in
         * milliseconds, and a caller (an HTTP request, an emit) should hear that the database is down well before its
         * own timeout, while a failover, a slow DNS answer or a pool busy for a moment still fits in.
         *
         * @param connectTimeout the longest wait for a connection; at least 250 ms
         * @return this builder
         * @throws IllegalArgumentException if it is shorter than 250 ms
         * @throws IllegalStateException if the builder was given a {@code DataSource} rather than a JDBC URL
         */
        public Builder connectTimeout(Duration connectTimeout) {
            requireUrl("connectTimeout");
            requireNonNull(connectTimeout, "connectTimeout");
            if (connectTimeout.compareTo(Duration.ofMillis(250)) < 0) {
                throw new IllegalArgumentException("connectTimeout must be at least 250 ms, was " + connectTimeout);
            }
            this.connectTimeout = connectTimeout;
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
                return new PostgresEventStore(
                        this,
                        dataSource,
                        null,
                        notifications != null ? notifications : HeadNotifications.listenOnPool());
            }
            String url = requireNonNull(jdbcUrl, "jdbcUrl"); // a builder has either a DataSource or a URL
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            if (user != null) {
                config.setUsername(user);
            }
            if (password != null) {
                config.setPassword(password);
            }
            config.setMaximumPoolSize(maxPoolSize);
            config.setPoolName("nexus-" + schema);
            config.setInitializationFailTimeout(-1);
            HeadNotifications listen = notifications;
            if (listen == null) {
                listen = user != null && password != null
                        ? HeadNotifications.listen(url, user, password)
                        : HeadNotifications.listen(url);
            }
            config.setConnectionTimeout(connectTimeout.toMillis());
            String seconds = Long.toString(Math.max(1, (connectTimeout.toMillis() + 999) / 1000));
            config.addDataSourceProperty("connectTimeout", seconds);
            config.addDataSourceProperty("loginTimeout", seconds);
            HikariDataSource pool = new HikariDataSource(config);
            return new PostgresEventStore(this, pool, pool, listen);
        }
    }
}
