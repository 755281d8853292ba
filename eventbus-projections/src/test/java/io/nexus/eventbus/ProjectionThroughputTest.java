package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Rough catch-up and rebuild throughput, printed for the issue note; asserts only correctness, never speed. */
@PostgresTest
@Timeout(180)
class ProjectionThroughputTest {
    private static final int EVENTS = 20_000;

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;

    ProjectionThroughputTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void catch_up_and_rebuild_throughput_is_measured_and_the_read_model_matches_a_fresh_replay() throws Exception {
        CountingProjection.append(store, "bulk", EVENTS, 100);
        long head = store.headPosition();
        long rawStart = System.nanoTime();
        long read = 0;
        for (long from = 1; ; ) {
            List<RecordedEvent> page = store.readAll(from, 500);
            if (page.isEmpty()) {
                break;
            }
            read += page.size();
            from = page.get(page.size() - 1).position() + 1;
        }
        double rawSeconds = (System.nanoTime() - rawStart) / 1e9;

        for (int batchSize : new int[] {100, 500}) {
            CountingProjection projection =
                    new CountingProjection(CountingProjection.uniqueName("bulk" + batchSize)).createTables(jdbi);
            try (ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                    .register(projection)
                    .config(BusConfig.builder().batchSize(batchSize).build())
                    .build()) {
                long start = System.nanoTime();
                daemon.start();
                daemon.awaitPosition(projection.name(), head, Duration.ofMinutes(2));
                double catchUpSeconds = (System.nanoTime() - start) / 1e9;

                long rebuildStart = System.nanoTime();
                daemon.rebuild(projection.name());
                daemon.awaitPosition(projection.name(), head, Duration.ofMinutes(2));
                double rebuildSeconds = (System.nanoTime() - rebuildStart) / 1e9;

                System.out.printf(
                        "throughput, %d events, batch %d: catch-up %.0f events/s (%.2f s), rebuild %.0f"
                                + " events/s (%.2f s); readAll alone in pages of 500: %.0f events/s%n",
                        head,
                        batchSize,
                        head / catchUpSeconds,
                        catchUpSeconds,
                        head / rebuildSeconds,
                        rebuildSeconds,
                        read / rawSeconds);
                projection.assertEqualsFreshReplay(jdbi, store);
            }
        }
        assertThat(read).isEqualTo(head);
    }
}
