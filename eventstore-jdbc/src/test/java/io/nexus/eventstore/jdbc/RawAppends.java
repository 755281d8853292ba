package io.nexus.eventstore.jdbc;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.internal.Appender;
import io.nexus.eventstore.jdbc.internal.EventCodec;
import io.nexus.eventstore.jdbc.internal.EventStoreSql;
import io.nexus.eventstore.json.JacksonEventSerializer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Makes the store's own append call on a connection the test controls, so a test can hold the transaction open, delay
 * its commit or roll it back.
 */
final class RawAppends {
    private static final Appender APPENDER = new Appender(
            EventStoreSql.of(PostgresEventStore.DEFAULT_SCHEMA),
            new EventCodec(EventTypeRegistry.rawJson(), JacksonEventSerializer.create(), null));

    private RawAppends() {}

    /** Appends one event in a transaction of its own and commits it. */
    static void appendCommitted(DataSource dataSource, String stream, UUID id) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            append(connection, stream, List.of(id));
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        }
    }

    /** Appends {@code ids} as {@code test.event} events with expected version "any"; returns the new version. */
    static long append(Connection connection, String stream, List<UUID> ids) {
        List<NewEvent> events = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            events.add(new NewEvent(
                    ids.get(i), "test.event", RawJson.of("{\"n\":" + i + "}"), Map.of(), null, null, null));
        }
        return APPENDER.append(connection, StreamAppend.of(StreamId.of(stream), ExpectedVersion.any(), events))
                .nextExpectedVersion();
    }
}
