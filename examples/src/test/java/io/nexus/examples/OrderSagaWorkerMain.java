package io.nexus.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventbus.BusConfig;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.sagas.SagaWorker;
import java.time.Duration;

/**
 * An order saga worker process for the kill tests: runs a {@link SagaWorker} until killed. Arguments: JDBC URL,
 * schema, lease in milliseconds, payment timeout in milliseconds, partitions, and whether the pool's connections
 * start in autocommit.
 */
public final class OrderSagaWorkerMain {
    private OrderSagaWorkerMain() {}

    public static void main(String[] args) throws InterruptedException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[0]);
        config.setMaximumPoolSize(8);
        config.setAutoCommit(Boolean.parseBoolean(args[5]));
        HikariDataSource dataSource = new HikariDataSource(config);
        PostgresEventStore store = PostgresEventStore.builder(dataSource)
                .schema(args[1])
                .types(OrderSaga.types())
                .build();
        SagaWorker worker = SagaWorker.builder(
                        new OrderSaga(Duration.ofMillis(Long.parseLong(args[3]))), store, dataSource)
                .leaseDuration(Duration.ofMillis(Long.parseLong(args[2])))
                .partitions(Integer.parseInt(args[4]))
                .deadlinePollInterval(Duration.ofMillis(100))
                .config(BusConfig.builder()
                        .workerCount(2)
                        .batchSize(20)
                        .flushInterval(Duration.ofMillis(20))
                        .retryDelay(Duration.ofMillis(100))
                        .build())
                .build()
                .start();
        System.out.println("worker " + worker.owner() + " started");
        Thread.sleep(Long.MAX_VALUE);
    }
}
