package io.nexus.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Samples what the benchmark's backends wait on: a background thread on a connection of its own reads {@code
 * pg_stat_activity} every {@value #INTERVAL_MILLIS} ms and counts, for the side being measured at that moment, each
 * busy backend of the benchmark's database by {@code wait_event_type:wait_event}. A backend running a statement
 * without waiting counts as {@code CPU}; one idle inside a transaction (waiting for its client's next statement) as
 * {@code idle in transaction}. Idle backends outside a transaction are not counted: most of them are spare pool
 * connections.
 */
final class WaitEventSampler implements AutoCloseable {
    static final int INTERVAL_MILLIS = 10;

    private static final String SAMPLE = """
            SELECT CASE WHEN state = 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'CPU')
                        ELSE 'idle in transaction' END
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')""";

    private final Connection connection;
    private final Thread thread;
    private final Map<String, Map<String, Long>> counts = new ConcurrentHashMap<>();
    private final Map<String, Long> samples = new ConcurrentHashMap<>();
    private volatile @Nullable String side;
    private volatile boolean closed;
    private volatile @Nullable SQLException failure;

    WaitEventSampler(String jdbcUrl) throws SQLException {
        this.connection = DriverManager.getConnection(jdbcUrl);
        this.thread = new Thread(this::run, "nexus-bench-wait-events");
        thread.setDaemon(true);
        thread.start();
    }

    /** Counts the samples from now on for {@code side}, until the next call; {@code null} pauses sampling. */
    void sample(@Nullable String side) {
        this.side = side;
    }

    /**
     * The wait events counted for {@code side}, as the average number of backends in each per sample, most frequent
     * first; {@code null} if no sample was taken for it.
     */
    Results.@Nullable WaitEvents summary(String side) {
        long taken = samples.getOrDefault(side, 0L);
        if (taken == 0) {
            return null;
        }
        List<Map.Entry<String, Long>> entries =
                new ArrayList<>(counts.getOrDefault(side, Map.of()).entrySet());
        entries.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        Map<String, Double> backends = new LinkedHashMap<>();
        for (Map.Entry<String, Long> entry : entries) {
            backends.put(entry.getKey(), entry.getValue() / (double) taken);
        }
        return new Results.WaitEvents(taken, INTERVAL_MILLIS, backends);
    }

    private void run() {
        try (PreparedStatement statement = connection.prepareStatement(SAMPLE)) {
            while (!closed) {
                String current = side;
                if (current != null) {
                    Map<String, Long> sample = new HashMap<>();
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            sample.merge(rows.getString(1), 1L, Long::sum);
                        }
                    }
                    Map<String, Long> total = counts.computeIfAbsent(current, s -> new ConcurrentHashMap<>());
                    sample.forEach((event, count) -> total.merge(event, count, Long::sum));
                    samples.merge(current, 1L, Long::sum);
                }
                TimeUnit.MILLISECONDS.sleep(INTERVAL_MILLIS);
            }
        } catch (SQLException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws SQLException, InterruptedException {
        closed = true;
        thread.join();
        connection.close();
        SQLException failed = failure;
        if (failed != null) {
            throw new SQLException("sampling pg_stat_activity failed", failed);
        }
    }
}
