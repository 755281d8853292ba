package io.nexus.benchmarks;

import io.nexus.eventstore.core.StreamId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The raw-JDBC baseline of the read workloads: plain statements on the {@code events} table of a second schema
 * migrated like Nexus's own, so the table, its indexes and its trigger are identical. It fills the columns Nexus fills
 * (commit id and index, stream version, the envelope) itself, and does nothing else: no stream row, no
 * expected-version check, no global order. The append workloads are measured against {@link AppendBaseline} instead,
 * a table shaped by what any store must write rather than by Nexus's design.
 */
final class RawEvents {
    private final DataSource dataSource;
    private final String insert;
    private final String readStream;
    private final String scan;
    private final String count;
    private final AtomicLong commitIds = new AtomicLong();

    RawEvents(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.insert = """
                INSERT INTO %s.events (commit_id, commit_index, stream_id, stream_version, event_id, type, data,
                                       metadata, correlation_id, causation_id, source)
                VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)""".formatted(schema);
        this.readStream = """
                SELECT stream_id, stream_version, commit_id, event_id, type, data, metadata, correlation_id,
                       causation_id, source, recorded_at
                FROM %s.events
                WHERE stream_id = ? AND stream_version >= ?
                ORDER BY stream_version
                LIMIT ?""".formatted(schema);
        this.scan = """
                SELECT stream_id, stream_version, commit_id, event_id, type, data, metadata, correlation_id,
                       causation_id, source, recorded_at
                FROM %s.events
                ORDER BY commit_id, commit_index""".formatted(schema);
        this.count = "SELECT count(*) FROM %s.events".formatted(schema);
    }

    /**
     * Inserts {@code count} new events into a new stream in one transaction: one {@code addBatch} per event, sent
     * as rewritten multi-row INSERTs, then COMMIT.
     */
    void appendBatch(StreamId stream, int count) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            long commitId = commitIds.incrementAndGet();
            try (PreparedStatement statement = connection.prepareStatement(insert)) {
                for (int i = 0; i < count; i++) {
                    bindEvent(statement, commitId, i, stream, i + 1);
                    statement.addBatch();
                }
                statement.executeBatch();
            }
            connection.commit();
        }
    }

    /** Reads up to {@code max} events of a stream from version 1, every column, payloads as JSON text. */
    long readStream(StreamId stream, int max) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(readStream)) {
            statement.setString(1, stream.value());
            statement.setLong(2, 1);
            statement.setInt(3, max);
            try (ResultSet rows = statement.executeQuery()) {
                return consumeRows(rows);
            }
        }
    }

    /** Reads every event in commit order in one query, {@code fetchSize} rows per round trip. */
    long scanAll(int fetchSize) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false); // pgjdbc streams with a cursor only inside a transaction
            try (PreparedStatement statement = connection.prepareStatement(scan)) {
                statement.setFetchSize(fetchSize);
                try (ResultSet rows = statement.executeQuery()) {
                    return consumeRows(rows);
                } finally {
                    connection.commit();
                }
            }
        }
    }

    /** How many events the raw table holds. */
    long count() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(count);
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static void bindEvent(PreparedStatement statement, long commitId, int index, StreamId stream, long version)
            throws SQLException {
        statement.setLong(1, commitId);
        statement.setInt(2, index);
        statement.setString(3, stream.value());
        statement.setLong(4, version);
        statement.setObject(5, UUID.randomUUID());
        statement.setString(6, Payloads.TYPE);
        statement.setString(7, Payloads.dataJson());
        statement.setString(8, Payloads.metadataJson());
        statement.setObject(9, UUID.randomUUID());
        statement.setObject(10, UUID.randomUUID());
        statement.setString(11, Payloads.SOURCE);
    }

    /** Reads each column the way an application would (JSON stays text); returns the row count. */
    private static long consumeRows(ResultSet rows) throws SQLException {
        long count = 0;
        long checksum = 0;
        while (rows.next()) {
            checksum += rows.getString(1).length() + rows.getLong(2) + rows.getLong(3);
            checksum += rows.getObject(4, UUID.class).getLeastSignificantBits();
            checksum += rows.getString(5).length()
                    + rows.getString(6).length()
                    + rows.getString(7).length();
            checksum += rows.getObject(8, UUID.class).getLeastSignificantBits();
            checksum += rows.getObject(9, UUID.class).getLeastSignificantBits();
            checksum += rows.getString(10).length();
            checksum += rows.getObject(11, OffsetDateTime.class).getNano();
            count++;
        }
        Bench.consume(checksum);
        return count;
    }
}
