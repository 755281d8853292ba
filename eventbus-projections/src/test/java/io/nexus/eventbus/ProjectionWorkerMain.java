package io.nexus.eventbus;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.time.Duration;

/**
 * A projection worker process for the kill tests: runs a daemon with one {@link CountingProjection} until killed.
 * Arguments: JDBC URL, schema, projection name, lease in milliseconds, sleep per batch in milliseconds, and whether
 * the pool's connections start in autocommit.
 */
public final class ProjectionWorkerMain {
    private ProjectionWorkerMain() {}

    public static void main(String[] args) throws InterruptedException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setMaximumPoolSize(4);
        config.setAutoCommit(Boolean.parseBoolean(args[5]));
        HikariDataSource dataSource = new HikariDataSource(config);
        PostgresEventStore store =
                PostgresEventStore.builder(dataSource).schema(args[1]).build();
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, dataSource)
                .register(new CountingProjection(args[2], Long.parseLong(args[4])))
                .leaseDuration(Duration.ofMillis(Long.parseLong(args[3])))
                .config(BusConfig.builder()
                        .batchSize(20)
                        .retryDelay(Duration.ofMillis(100))
                        .build())
                .build()
                .start();
        System.out.println("worker " + daemon.owner() + " started");
        Thread.sleep(Long.MAX_VALUE);
    }
}
