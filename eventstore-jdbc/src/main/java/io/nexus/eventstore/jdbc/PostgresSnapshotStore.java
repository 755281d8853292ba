package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.SnapshotStore;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.internal.DatabaseLocation;
import io.nexus.eventstore.jdbc.internal.SnapshotRows;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The {@link SnapshotStore} on PostgreSQL: the {@code snapshots} table of the event store's schema, one row per
 * stream and snapshot type, the state as {@code jsonb} written by the store's serializer. Thread-safe.
 *
 * <pre>{@code
 * SnapshotStore snapshots = PostgresSnapshotStore.of(store);
 * snapshots.save(new Snapshot<>(id, "bank-account", 100, 1, account, Instant.now()));
 * Optional<Snapshot<Account>> latest = snapshots.load(id, "bank-account", 1, Account.class);
 * }</pre>
 *
 * <p>{@link #save(Connection, Snapshot)} and {@link #load(Connection, StreamId, String, int, Class)} run on a caller's
 * connection, in its transaction if one is open (a saga that snapshots with the events it handled).
 */
public final class PostgresSnapshotStore implements SnapshotStore {
    private final DataSource dataSource;
    private final SnapshotRows rows;
    private final String schema;
    private final DatabaseLocation location;

    private PostgresSnapshotStore(PostgresEventStore store) {
        this.dataSource = store.autoCommitDataSource();
        this.rows = new SnapshotRows(store.schema(), store.serializer());
        this.schema = store.schema();
        this.location = store.location();
    }

    /**
     * The snapshot store beside {@code store}: its database, schema and serializer.
     *
     * @param store the event store whose schema holds the {@code snapshots} table (migration V4)
     * @return the snapshot store
     */
    public static PostgresSnapshotStore of(PostgresEventStore store) {
        return new PostgresSnapshotStore(requireNonNull(store, "store"));
    }

    @Override
    public <S> Optional<Snapshot<S>> load(
            StreamId streamId, String snapshotType, int schemaVersion, Class<S> stateClass) {
        checkLoad(streamId, snapshotType, stateClass);
        try (Connection connection = dataSource.getConnection()) {
            return rows.load(connection, streamId, snapshotType, schemaVersion, stateClass);
        } catch (SQLException e) {
            throw SqlErrors.translate(
                    "could not load the '" + snapshotType + "' snapshot of stream '" + streamId + "'",
                    e,
                    schema,
                    location);
        }
    }

    /**
     * {@link #load(StreamId, String, int, Class)} on the caller's connection, in its transaction if one is open.
     *
     * @param connection a connection to the store's database
     * @param streamId the stream
     * @param snapshotType the kind of state
     * @param schemaVersion the state shape the caller understands
     * @param stateClass the class the state is read as
     * @param <S> the state's class
     * @return the snapshot, or empty if there is none of that schema version
     */
    public <S> Optional<Snapshot<S>> load(
            Connection connection, StreamId streamId, String snapshotType, int schemaVersion, Class<S> stateClass) {
        requireNonNull(connection, "connection");
        checkLoad(streamId, snapshotType, stateClass);
        try {
            return rows.load(connection, streamId, snapshotType, schemaVersion, stateClass);
        } catch (SQLException e) {
            throw SqlErrors.translate(
                    "could not load the '" + snapshotType + "' snapshot of stream '" + streamId + "'",
                    e,
                    schema,
                    location);
        }
    }

    @Override
    public boolean save(Snapshot<?> snapshot) {
        requireNonNull(snapshot, "snapshot");
        try (Connection connection = dataSource.getConnection()) {
            return rows.save(connection, snapshot);
        } catch (SQLException e) {
            throw SqlErrors.translate(saving(snapshot), e, schema, location);
        }
    }

    /**
     * {@link #save(Snapshot)} on the caller's connection: in its transaction if one is open, so the snapshot commits
     * or rolls back with the caller's other work.
     *
     * @param connection a connection to the store's database
     * @param snapshot the snapshot
     * @return whether it was stored; false if a newer one was kept
     */
    public boolean save(Connection connection, Snapshot<?> snapshot) {
        requireNonNull(connection, "connection");
        requireNonNull(snapshot, "snapshot");
        try {
            return rows.save(connection, snapshot);
        } catch (SQLException e) {
            throw SqlErrors.translate(saving(snapshot), e, schema, location);
        }
    }

    private static String saving(Snapshot<?> snapshot) {
        return "could not save the '" + snapshot.snapshotType() + "' snapshot of stream '" + snapshot.streamId()
                + "' at version " + snapshot.streamVersion();
    }

    private static void checkLoad(StreamId streamId, String snapshotType, Class<?> stateClass) {
        requireNonNull(streamId, "streamId");
        Snapshot.checkType(snapshotType);
        requireNonNull(stateClass, "stateClass");
    }
}
