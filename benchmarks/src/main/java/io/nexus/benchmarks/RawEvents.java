package io.nexus.benchmarks;

import io.nexus.eventstore.core.StreamId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The raw-JDBC baseline of the read workloads: plain queries on a table of the same minimal shape as {@link
 * AppendBaseline}'s (in a schema of its own, filled with the same events through it), not on a table shaped by
 * Nexus's design. A row holds what any store must read back: its key, stream and version, event id, type, payload and
 * metadata (with correlation id, causation id and source in the metadata JSON), and when it was recorded. The reads
 * stop at JSON text.
 */
final class RawEvents {
    private static final String COLUMNS = "id, stream_id, version, event_id, type, payload, metadata, recorded_at";

    private final DataSource dataSource;
    private final AppendBaseline writes;
    private final String readStream;
    private final String scan;
    private final String count;

    RawEvents(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.writes = new AppendBaseline(dataSource, schema);
        this.readStream = """
                SELECT %s
                FROM %s.events
                WHERE stream_id = ? AND version >= ?
                ORDER BY version
                LIMIT ?""".formatted(COLUMNS, schema);
        this.scan = "SELECT %s FROM %s.events ORDER BY id".formatted(COLUMNS, schema);
        this.count = "SELECT count(*) FROM %s.events".formatted(schema);
    }

    /** Inserts {@code count} new events into a new stream in one transaction, as the append baseline does. */
    void appendBatch(StreamId stream, int count) throws SQLException {
        writes.appendBatch(stream, count);
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

    /** Reads every event in the order they were written in one query, {@code fetchSize} rows per round trip. */
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

    /** How many events the table holds. */
    long count() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(count);
                ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Reads each column the way an application would (JSON stays text); returns the row count. */
    private static long consumeRows(ResultSet rows) throws SQLException {
        long count = 0;
        long checksum = 0;
        while (rows.next()) {
            checksum += rows.getLong(1) + rows.getString(2).length() + rows.getLong(3);
            checksum += rows.getObject(4, UUID.class).getLeastSignificantBits();
            checksum += rows.getString(5).length()
                    + rows.getString(6).length()
                    + rows.getString(7).length();
            checksum += rows.getObject(8, OffsetDateTime.class).getNano();
            count++;
        }
        Bench.consume(checksum);
        return count;
    }
}
