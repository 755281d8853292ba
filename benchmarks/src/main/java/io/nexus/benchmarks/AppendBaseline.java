package io.nexus.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.json.JacksonEventSerializer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The baseline of the append workloads: the table any correct event store has to write, independent of Nexus's
 * schema. An identity key, the stream and its version (unique together: optimistic concurrency), the event id
 * (unique: idempotent appends need it to recognise a re-send), the type, payload and metadata as {@code jsonb}, and
 * the time it was recorded. No stream row, no expected-version check, no global order, no trigger. Rows go in
 * pre-serialized: the JSON text is prepared once, before anything is timed.
 */
final class AppendBaseline {
    /** The schema the benchmark creates for this table, dropped and re-created with every run. */
    static final String SCHEMA = "raw_append";

    private final DataSource dataSource;
    private final String insert;
    private final String payloadJson;
    private final String metadataJson;

    AppendBaseline(DataSource dataSource) {
        this(dataSource, SCHEMA);
    }

    /** The same table in another schema, made by {@link #create(DataSource, String)}: the read baseline's. */
    AppendBaseline(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.insert = """
                INSERT INTO %s.events (stream_id, version, event_id, type, payload, metadata)
                VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb)""".formatted(schema);
        this.payloadJson = Payloads.dataJson();
        this.metadataJson = metadataWithEnvelope();
    }

    /** Drops and re-creates the schema {@code schema} and its one table. */
    static void create(DataSource dataSource, String schema) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            statement.execute("CREATE SCHEMA " + schema);
            statement.execute("""
                    CREATE TABLE %s.events (
                        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        stream_id   text NOT NULL,
                        version     bigint NOT NULL,
                        event_id    uuid NOT NULL CONSTRAINT events_event_id_key UNIQUE,
                        type        text NOT NULL,
                        payload     jsonb NOT NULL,
                        metadata    jsonb NOT NULL,
                        recorded_at timestamptz NOT NULL DEFAULT now(),
                        CONSTRAINT events_stream_id_version_key UNIQUE (stream_id, version)
                    )""".formatted(schema));
        }
    }

    /**
     * Inserts {@code count} new events into a new stream in one transaction: one {@code addBatch} per event, which the
     * pool's {@code reWriteBatchedInserts=true} sends as multi-row INSERTs, then COMMIT.
     */
    void appendBatch(StreamId stream, int count) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement(insert)) {
                for (int i = 0; i < count; i++) {
                    bind(statement, stream, i + 1);
                    statement.addBatch();
                }
                statement.executeBatch();
            }
            connection.commit();
        }
    }

    /** Inserts one new event into a new stream: BEGIN, INSERT, COMMIT (pgjdbc sends BEGIN with the INSERT). */
    void appendOne(StreamId stream) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement(insert)) {
                bind(statement, stream, 1);
                statement.executeUpdate();
            }
            connection.commit();
        }
    }

    private void bind(PreparedStatement statement, StreamId stream, long version) throws SQLException {
        statement.setString(1, stream.value());
        statement.setLong(2, version);
        statement.setObject(3, UUID.randomUUID());
        statement.setString(4, Payloads.TYPE);
        statement.setString(5, payloadJson);
        statement.setString(6, metadataJson);
    }

    /**
     * The metadata with the envelope fields Nexus keeps in columns of their own (correlation id, causation id,
     * source), so that a baseline row carries the same information as a Nexus event.
     */
    private static String metadataWithEnvelope() {
        Map<String, String> metadata = new LinkedHashMap<>(Payloads.METADATA);
        metadata.put("correlation-id", UUID.randomUUID().toString());
        metadata.put("causation-id", UUID.randomUUID().toString());
        metadata.put("source", Payloads.SOURCE);
        try {
            return JacksonEventSerializer.defaultMapper()
                    .writerFor(new TypeReference<Map<String, String>>() {})
                    .writeValueAsString(metadata);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
