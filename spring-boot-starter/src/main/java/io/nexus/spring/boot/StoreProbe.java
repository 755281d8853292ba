package io.nexus.spring.boot;

import io.nexus.eventstore.jdbc.AutoCommitDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What the health indicator and the endpoint read, in one short read-only query each on a connection of the pool.
 * Plain reads only, never the store's {@code headPosition()}: that runs the sequencer, which would wait behind a
 * stuck sequencing run (the very thing to report) and would unstick one that nobody ran, hiding it.
 */
final class StoreProbe {
    /**
     * A snapshot of the store.
     *
     * @param head the last position the sequencer gave
     * @param oldestUnsequenced how long the oldest committed event without a position has waited (since its
     *     transaction started), empty when every committed event has one
     * @param subscribers durable subscriptions and projections, by name
     * @param deadLetters the number of dead letters per subscription, only those with any
     */
    record Snapshot(
            long head,
            Optional<Duration> oldestUnsequenced,
            List<SubscriberState> subscribers,
            Map<String, Long> deadLetters) {}

    private final DataSource dataSource;
    private final String schema;

    /**
     * A probe of the store in {@code schema}.
     *
     * @param dataSource the store's pool
     * @param schema the store's schema (checked by the store's builder before this is made)
     */
    StoreProbe(DataSource dataSource, String schema) {
        this.dataSource = AutoCommitDataSource.from(dataSource);
        this.schema = schema;
    }

    /**
     * Reads the snapshot.
     *
     * @return the snapshot
     * @throws SQLException if the database cannot be reached or the schema is not migrated
     */
    Snapshot read() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            long head;
            Optional<Duration> oldest;
            try (PreparedStatement statement = connection.prepareStatement(
                            // Unsequenced: above the last commit id a sequencing run looked at, or passed while open.
                            "SELECT s.last_position, (SELECT extract(epoch FROM now() - min(e.recorded_at)) FROM "
                                    + schema + ".events e WHERE e.commit_id > s.last_commit_id"
                                    + " OR e.commit_id = ANY (s.open_commit_ids)) FROM " + schema + ".sequencer s");
                    ResultSet row = statement.executeQuery()) {
                row.next();
                head = row.getLong(1);
                double seconds = row.getDouble(2);
                oldest = row.wasNull() ? Optional.empty() : Optional.of(Duration.ofMillis((long) (seconds * 1000)));
            }
            List<SubscriberState> subscribers = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT name, kind, status, position,"
                            + " owner, last_error FROM " + schema + ".subscriptions ORDER BY name");
                    ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    long checkpoint = rows.getLong(4);
                    subscribers.add(new SubscriberState(
                            rows.getString(1),
                            rows.getString(2),
                            rows.getString(3),
                            checkpoint,
                            Math.max(0, head - checkpoint),
                            rows.getString(5),
                            rows.getString(6)));
                }
            }
            Map<String, Long> deadLetters = new LinkedHashMap<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT subscription, count(*) FROM "
                            + schema + ".dead_letters GROUP BY subscription ORDER BY subscription");
                    ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    deadLetters.put(rows.getString(1), rows.getLong(2));
                }
            }
            return new Snapshot(head, oldest, List.copyOf(subscribers), Map.copyOf(deadLetters));
        }
    }
}
