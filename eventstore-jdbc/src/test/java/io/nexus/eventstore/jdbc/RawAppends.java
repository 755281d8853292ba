package io.nexus.eventstore.jdbc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/**
 * Calls append_to_stream on a connection the test controls, so a test can hold the transaction open, delay its
 * commit or roll it back.
 */
final class RawAppends {
    private RawAppends() {}

    /** Appends one event in a transaction of its own and commits it. */
    static void appendCommitted(javax.sql.DataSource dataSource, String stream, UUID id) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            append(connection, stream, List.of(id));
        }
    }

    /** Appends {@code ids} as {@code test.event} events with expected version "any"; returns the new version. */
    static long append(Connection connection, String stream, List<UUID> ids) throws SQLException {
        int n = ids.size();
        String[] types = new String[n];
        StringBuilder data = new StringBuilder("[");
        StringBuilder metadata = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            types[i] = "test.event";
            data.append(i == 0 ? "" : ",").append("{\"n\":").append(i).append('}');
            metadata.append(i == 0 ? "" : ",").append("null");
        }
        data.append(']');
        metadata.append(']');
        Array nullUuids = connection.createArrayOf("uuid", new UUID[n]);
        Array nullTexts = connection.createArrayOf("text", new String[n]);
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT next_expected_version FROM nexus.append_to_stream(?, -1, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)")) {
            statement.setString(1, stream);
            statement.setArray(2, connection.createArrayOf("uuid", ids.toArray()));
            statement.setArray(3, connection.createArrayOf("text", types));
            statement.setString(4, data.toString());
            statement.setString(5, metadata.toString());
            statement.setArray(6, nullUuids);
            statement.setArray(7, nullUuids);
            statement.setArray(8, nullTexts);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
