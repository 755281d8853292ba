package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.spi.EventSerializer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Optional;

/** The SQL of the {@code snapshots} table: one row per stream and snapshot type, replaced only by a newer one. */
public final class SnapshotRows {
    private final String load;
    private final String save;
    private final EventSerializer serializer;

    public SnapshotRows(String schema, EventSerializer serializer) {
        this.serializer = serializer;
        this.load = """
                SELECT stream_version, schema_version, state, taken_at
                FROM %s.snapshots
                WHERE stream_id = ? AND snapshot_type = ?""".formatted(schema);
        // The WHERE of the upsert is SnapshotStore's rule: never backwards, neither in schema nor in stream version.
        this.save = """
                INSERT INTO %1$s.snapshots AS s (stream_id, snapshot_type, stream_version, schema_version, state, taken_at)
                VALUES (?, ?, ?, ?, CAST(? AS jsonb), ?)
                ON CONFLICT (stream_id, snapshot_type) DO UPDATE
                SET stream_version = excluded.stream_version, schema_version = excluded.schema_version,
                    state = excluded.state, taken_at = excluded.taken_at
                WHERE excluded.schema_version > s.schema_version
                   OR (excluded.schema_version = s.schema_version AND excluded.stream_version > s.stream_version)""".formatted(schema);
    }

    /** The stored snapshot if it has {@code schemaVersion}; throws SQLException for the caller to translate. */
    public <S> Optional<Snapshot<S>> load(
            Connection connection, StreamId streamId, String snapshotType, int schemaVersion, Class<S> stateClass)
            throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(load)) {
            query.setString(1, streamId.value());
            query.setString(2, snapshotType);
            try (ResultSet row = query.executeQuery()) {
                if (!row.next() || row.getInt(2) != schemaVersion) {
                    return Optional.empty();
                }
                S state = serializer.deserialize(snapshotType, row.getBytes(3), stateClass);
                return Optional.of(new Snapshot<>(
                        streamId,
                        snapshotType,
                        row.getLong(1),
                        schemaVersion,
                        state,
                        row.getTimestamp(4).toInstant()));
            }
        }
    }

    /** Upserts {@code snapshot} if it is newer; returns whether it was stored. */
    public boolean save(Connection connection, Snapshot<?> snapshot) throws SQLException {
        String state = serializer.serialize(snapshot.snapshotType(), snapshot.state());
        try (PreparedStatement upsert = connection.prepareStatement(save)) {
            upsert.setString(1, snapshot.streamId().value());
            upsert.setString(2, snapshot.snapshotType());
            upsert.setLong(3, snapshot.streamVersion());
            upsert.setInt(4, snapshot.schemaVersion());
            upsert.setString(5, state);
            upsert.setTimestamp(6, Timestamp.from(snapshot.takenAt()));
            return upsert.executeUpdate() == 1;
        }
    }
}
