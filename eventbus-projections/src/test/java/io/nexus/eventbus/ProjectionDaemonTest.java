package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@Timeout(120)
class ProjectionDaemonTest {
    private static final BusConfig FAST = BusConfig.builder()
            .batchSize(50)
            .flushInterval(Duration.ofMillis(20))
            .retryDelay(Duration.ofMillis(50))
            .workerCount(2)
            .build();

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final List<ProjectionDaemon> daemons = new ArrayList<>();

    ProjectionDaemonTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() {
        daemons.forEach(ProjectionDaemon::close);
        store.close();
    }

    private ProjectionDaemon daemon(Projection projection, ProjectionListener listener, Duration lease) {
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(FAST)
                .leaseDuration(lease)
                .listener(listener)
                .build();
        daemons.add(daemon);
        return daemon;
    }

    /** The head, read again when the pool hands out a connection that was terminated a moment ago. */
    private long headAfterFaults() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return store.headPosition();
            } catch (io.nexus.eventstore.core.EventStoreAccessException e) {
                if (attempt == 10) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private String column(String column, String projection) {
        String value = jdbi.withHandle(h -> h.createQuery(
                        "SELECT " + column + " FROM " + database.schema() + ".subscriptions WHERE name = :name")
                .bind("name", projection)
                .mapTo(String.class)
                .one());
        return String.valueOf(value);
    }

    @Test
    void await_projection_returns_once_the_append_is_in_the_read_model() throws Exception {
        CountingProjection projection = new CountingProjection(CountingProjection.uniqueName("ryw")).createTables(jdbi);
        ProjectionDaemon daemon = daemon(projection, ProjectionListener.NONE, Duration.ofSeconds(2))
                .start();
        List<AppendResult> appends = CountingProjection.append(store, "ryw", 30, 5);

        long checkpoint =
                daemon.awaitProjection(projection.name(), appends.get(appends.size() - 1), Duration.ofSeconds(30));

        assertThat(checkpoint)
                .isGreaterThanOrEqualTo(
                        store.positionOf(appends.get(appends.size() - 1).commitId())
                                .orElseThrow());
        assertThat(projection.appliedCount(jdbi)).isGreaterThanOrEqualTo(30);
        projection.assertEqualsFreshReplay(jdbi, store);
    }

    @Test
    void await_projection_times_out_with_a_typed_exception_when_the_projection_does_not_get_there() {
        CountingProjection projection =
                new CountingProjection(CountingProjection.uniqueName("idle")).createTables(jdbi);
        ProjectionDaemon notStarted = daemon(projection, ProjectionListener.NONE, Duration.ofSeconds(2));
        AppendResult append = CountingProjection.append(store, "idle", 1, 1).get(0);
        long position = store.positionOf(append.commitId()).orElseThrow();

        Throwable thrown =
                catchThrowable(() -> notStarted.awaitProjection(projection.name(), append, Duration.ofMillis(200)));

        assertThat(thrown).isInstanceOf(ProjectionTimeoutException.class).hasMessageContaining(projection.name());
        ProjectionTimeoutException timeout = (ProjectionTimeoutException) thrown;
        assertThat(timeout.position()).isEqualTo(position);
        assertThat(timeout.checkpoint()).isLessThan(position);
        assertThat(timeout.timeout()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void awaiting_a_projection_the_daemon_does_not_know_is_refused() {
        CountingProjection projection = new CountingProjection(CountingProjection.uniqueName("known"));
        ProjectionDaemon daemon = daemon(projection, ProjectionListener.NONE, Duration.ofSeconds(2));

        Throwable thrown = catchThrowable(() -> daemon.awaitPosition("no_such_projection", 1, Duration.ofMillis(10)));

        assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'no_such_projection'");
    }

    @Test
    void a_zombie_whose_lease_was_taken_over_cannot_commit_its_checkpoint_and_gives_the_projection_up()
            throws Exception {
        CountingProjection projection =
                new CountingProjection(CountingProjection.uniqueName("zombie")).createTables(jdbi);
        List<Boolean> ownership = new CopyOnWriteArrayList<>();
        ProjectionListener listener = new ProjectionListener() {
            @Override
            public void onOwnershipChanged(String name, boolean owned, long token) {
                ownership.add(owned);
            }
        };
        // A long lease: the zombie renews rarely, so it finds out from the refused compare-and-set first.
        ProjectionDaemon zombie =
                daemon(projection, listener, Duration.ofSeconds(60)).start();
        CountingProjection.append(store, "zombie", 20, 5);
        zombie.awaitPosition(projection.name(), store.headPosition(), Duration.ofSeconds(30));
        long applied = projection.appliedCount(jdbi);
        long checkpoint = zombie.progress(projection.name()).checkpoint();
        database.execute("UPDATE " + database.schema() + ".subscriptions SET owner = 'usurper',"
                + " fencing_token = fencing_token + 1, lease_expires_at = now() + interval '1 hour'"
                + " WHERE name = '" + projection.name() + "'");

        CountingProjection.append(store, "zombie", 20, 5);
        await("the zombie gave the projection up")
                .atMost(Duration.ofSeconds(30))
                .until(() -> zombie.ownedProjections().isEmpty());

        assertThat(ownership).containsExactly(true, false);
        assertThat(projection.appliedCount(jdbi)).isEqualTo(applied);
        assertThat(zombie.progress(projection.name()).checkpoint()).isEqualTo(checkpoint);
        assertThat(column("owner", projection.name())).isEqualTo("usurper");
    }

    @Test
    void connections_terminated_mid_run_are_survived_with_nothing_lost_or_applied_twice() throws Exception {
        CountingProjection projection =
                new CountingProjection(CountingProjection.uniqueName("terminated"), 5).createTables(jdbi);
        List<Exception> failures = new CopyOnWriteArrayList<>();
        ProjectionListener listener = new ProjectionListener() {
            @Override
            public void onFailure(String name, long checkpoint, Exception error) {
                failures.add(error);
            }
        };
        ProjectionDaemon daemon =
                daemon(projection, listener, Duration.ofSeconds(2)).start();
        CountingProjection.append(store, "terminated", 300, 10);

        int terminated = 0;
        try (BackgroundWriter writer = new BackgroundWriter(store, "terminated", 5)) {
            for (int i = 0; i < 5; i++) {
                Thread.sleep(300);
                terminated += database.terminateConnections();
            }
        }
        long head = headAfterFaults();
        daemon.awaitPosition(projection.name(), head, Duration.ofSeconds(60));

        assertThat(terminated).isPositive();
        projection.assertEqualsFreshReplay(jdbi, store);
        System.out.printf(
                "pg_terminate_backend: %d connections terminated, %d batch failures retried, %d events%n",
                terminated, failures.size(), head);
    }

    @Test
    void a_rebuild_while_events_keep_arriving_ends_equal_to_a_fresh_replay_and_reports_progress() throws Exception {
        CountingProjection projection =
                new CountingProjection(CountingProjection.uniqueName("rebuilt")).createTables(jdbi);
        List<ProjectionProgress> progress = new CopyOnWriteArrayList<>();
        ProjectionListener listener = new ProjectionListener() {
            @Override
            public void onProgress(ProjectionProgress p) {
                progress.add(p);
            }
        };
        ProjectionDaemon daemon =
                daemon(projection, listener, Duration.ofSeconds(2)).start();
        CountingProjection.append(store, "rebuilt", 1_000, 10);
        daemon.awaitPosition(projection.name(), store.headPosition(), Duration.ofSeconds(30));
        progress.clear();

        ProjectionProgress atReset;
        try (BackgroundWriter writer = new BackgroundWriter(store, "rebuilt", 2)) {
            Thread.sleep(100);
            atReset = daemon.rebuild(projection.name());
            await("the rebuild caught up")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> daemon.progress(projection.name()).status() == ProjectionStatus.ACTIVE);
            Thread.sleep(100);
        }
        daemon.awaitPosition(projection.name(), store.headPosition(), Duration.ofSeconds(30));

        assertThat(atReset.status()).isEqualTo(ProjectionStatus.REBUILDING);
        assertThat(atReset.checkpoint()).isZero();
        assertThat(progress).anySatisfy(p -> {
            assertThat(p.status()).isEqualTo(ProjectionStatus.REBUILDING);
            assertThat(p.checkpoint()).isLessThan(atReset.head());
        });
        assertThat(progress).extracting(ProjectionProgress::status).last().isEqualTo(ProjectionStatus.ACTIVE);
        projection.assertEqualsFreshReplay(jdbi, store);
    }

    @Test
    void a_failing_batch_is_rolled_back_recorded_and_retried_until_it_succeeds() throws Exception {
        CountingProjection counting = new CountingProjection(CountingProjection.uniqueName("flaky")).createTables(jdbi);
        int[] failuresLeft = {3};
        Projection flaky = new Projection() {
            @Override
            public String name() {
                return counting.name();
            }

            @Override
            public void apply(org.jdbi.v3.core.Handle handle, io.nexus.eventstore.core.RecordedEvent event) {
                throw new AssertionError("not used");
            }

            @Override
            public void applyBatch(
                    org.jdbi.v3.core.Handle handle, List<io.nexus.eventstore.core.RecordedEvent> events) {
                counting.applyBatch(handle, events);
                if (failuresLeft[0]-- > 0) {
                    throw new IllegalStateException("flaky read model");
                }
            }

            @Override
            public void reset(org.jdbi.v3.core.Handle handle) {
                counting.reset(handle);
            }
        };
        ProjectionDaemon daemon =
                daemon(flaky, ProjectionListener.NONE, Duration.ofSeconds(2)).start();
        CountingProjection.append(store, "flaky", 40, 5);

        daemon.awaitPosition(counting.name(), store.headPosition(), Duration.ofSeconds(30));

        counting.assertEqualsFreshReplay(jdbi, store);
        assertThat(column("last_error", counting.name())).contains("flaky read model");
    }

    @Test
    void a_filtered_projection_sees_only_matching_events_and_still_advances_past_the_others() throws Exception {
        String name = CountingProjection.uniqueName("filtered");
        List<String> seen = new CopyOnWriteArrayList<>();
        Projection projection = Projection.of(
                name,
                EventFilter.categories("wanted"),
                (handle, event) -> seen.add(event.streamId().value()),
                handle -> seen.clear());
        ProjectionDaemon daemon = daemon(projection, ProjectionListener.NONE, Duration.ofSeconds(2))
                .start();
        CountingProjection.append(store, "unwanted", 30, 5);
        CountingProjection.append(store, "wanted", 7, 1);
        CountingProjection.append(store, "unwanted", 30, 5);

        long checkpoint = daemon.awaitPosition(name, store.headPosition(), Duration.ofSeconds(30));

        assertThat(checkpoint).isEqualTo(store.headPosition());
        assertThat(seen).hasSize(7).allMatch(stream -> stream.startsWith("wanted-"));
    }
}
