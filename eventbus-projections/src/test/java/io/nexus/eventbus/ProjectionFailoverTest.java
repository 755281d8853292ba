package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Worker processes killed with SIGKILL, and several daemons competing for one database. */
@PostgresTest
@Timeout(240)
class ProjectionFailoverTest {
    private static final Duration LEASE = Duration.ofMillis(1_500);

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final List<Process> processes = new ArrayList<>();
    private final List<ProjectionDaemon> daemons = new ArrayList<>();

    ProjectionFailoverTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        daemons.forEach(ProjectionDaemon::close);
        store.close();
    }

    private Process startWorker(String projection, long sleepMillisPerBatch) throws IOException {
        return startWorker(projection, sleepMillisPerBatch, LEASE);
    }

    private Process startWorker(String projection, long sleepMillisPerBatch, Duration lease) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = workerLog(projection);
        Process process = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Xmx128m",
                        ProjectionWorkerMain.class.getName(),
                        database.jdbcUrl(),
                        database.schema(),
                        projection,
                        Long.toString(lease.toMillis()),
                        Long.toString(sleepMillisPerBatch),
                        Boolean.toString(database.autoCommit()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
        processes.add(process);
        return process;
    }

    /** How many workers of {@code projection} have printed their start line to the log they share. */
    private static long startedWorkers(String projection) {
        try (Stream<String> lines = Files.lines(workerLog(projection).toPath())) {
            return lines.filter(line -> line.startsWith("worker ") && line.endsWith(" started"))
                    .count();
        } catch (IOException | UncheckedIOException e) {
            return 0; // not written yet
        }
    }

    private static File workerLog(String projection) {
        return new File("target", "worker-" + projection + ".log");
    }

    private ProjectionDaemon daemon(String owner, Projection... projections) {
        return daemon(owner, LEASE, projections);
    }

    private ProjectionDaemon daemon(String owner, Duration lease, Projection... projections) {
        ProjectionDaemon.Builder builder = ProjectionDaemon.builder(store, database.dataSource())
                .owner(owner)
                .leaseDuration(lease)
                .config(BusConfig.builder()
                        .batchSize(50)
                        .flushInterval(Duration.ofMillis(20))
                        .workerCount(2)
                        .build());
        for (Projection projection : projections) {
            builder.register(projection);
        }
        ProjectionDaemon daemon = builder.build();
        daemons.add(daemon);
        return daemon;
    }

    private String ownerInDatabase(String projection) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT coalesce(owner, '') FROM " + database.schema() + ".subscriptions WHERE name = :name")
                .bind("name", projection)
                .mapTo(String.class)
                .findOne()
                .orElse(""));
    }

    /** Waits until {@code condition} holds, polling every 20 ms; returns how long that took. */
    private static long millisUntil(String what, Duration max, Callable<Boolean> condition) {
        long start = System.nanoTime();
        await(what).pollInterval(Duration.ofMillis(20)).atMost(max).until(condition);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void a_worker_killed_at_random_moments_and_restarted_leaves_a_read_model_equal_to_a_fresh_replay()
            throws Exception {
        String name = CountingProjection.uniqueName("killed");
        CountingProjection projection = new CountingProjection(name).createTables(jdbi);
        CountingProjection.append(store, "killed", 2_000, 10);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<Long> checkpointsAfterKills = new ArrayList<>();

        try (BackgroundWriter writer = new BackgroundWriter(store, "killed", 3)) {
            for (int kill = 0; kill < 6; kill++) {
                Process worker = startWorker(name, 20);
                // The random moment counts from the worker's start, not the JVM's launch: on a loaded machine a JVM
                // can take longer to start than the whole window, and then no worker would ever process a batch.
                int started = kill + 1;
                await("worker " + started + " started")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> startedWorkers(name) >= started);
                Thread.sleep(random.nextLong(1_500, 4_000));
                worker.destroyForcibly();
                worker.waitFor(10, TimeUnit.SECONDS);
                checkpointsAfterKills.add(jdbi.withHandle(h -> h.createQuery(
                                "SELECT position FROM " + database.schema() + ".subscriptions WHERE name = :name")
                        .bind("name", name)
                        .mapTo(Long.class)
                        .findOne()
                        .orElse(0L)));
            }
        }
        ProjectionDaemon survivor =
                daemon("survivor", new CountingProjection(name)).start();
        survivor.awaitPosition(name, store.headPosition(), Duration.ofSeconds(90));

        System.out.println(
                "checkpoints after each SIGKILL: " + checkpointsAfterKills + ", head " + store.headPosition());
        assertThat(checkpointsAfterKills).isSorted();
        assertThat(checkpointsAfterKills.get(checkpointsAfterKills.size() - 1)).isPositive();
        projection.assertEqualsFreshReplay(jdbi, store);
    }

    @Test
    void a_survivor_takes_over_within_seconds_when_the_owner_process_is_killed() throws Exception {
        String name = CountingProjection.uniqueName("takeover");
        CountingProjection projection = new CountingProjection(name).createTables(jdbi);
        CountingProjection.append(store, "takeover", 200, 10);
        // A longer lease for the owner, so that a loaded machine cannot make it lapse before the kill.
        Duration ownerLease = Duration.ofSeconds(3);
        Process owner = startWorker(name, 0, ownerLease);
        await("the worker process owns the projection")
                .atMost(Duration.ofSeconds(60))
                .until(() -> !ownerInDatabase(name).isEmpty());
        ProjectionDaemon survivor =
                daemon("survivor-" + name, new CountingProjection(name)).start();

        for (int i = 0; i < 10; i++) {
            Thread.sleep(ownerLease.toMillis() / 10);
            assertThat(survivor.ownedProjections()).isEmpty();
            assertThat(ownerInDatabase(name)).isNotEqualTo(survivor.owner());
        }
        owner.destroyForcibly();
        long tookMillis = millisUntil(
                "the survivor took over",
                Duration.ofSeconds(15),
                () -> survivor.ownedProjections().contains(name));
        CountingProjection.append(store, "takeover", 100, 10);
        survivor.awaitPosition(name, store.headPosition(), Duration.ofSeconds(30));

        System.out.println(
                "take-over after SIGKILL of the owner: " + tookMillis + " ms (lease " + ownerLease.toMillis() + " ms)");
        assertThat(ownerInDatabase(name)).isEqualTo(survivor.owner());
        projection.assertEqualsFreshReplay(jdbi, store);
    }

    @Test
    void two_daemons_on_one_database_own_each_projection_once_and_the_other_takes_over_when_the_owner_stops()
            throws Exception {
        List<String> names = List.of(
                CountingProjection.uniqueName("shared"),
                CountingProjection.uniqueName("shared"),
                CountingProjection.uniqueName("shared"));
        names.forEach(n -> new CountingProjection(n).createTables(jdbi));
        // The default lease: a graceful stop releases at once, and a loaded machine must not let leases lapse.
        ProjectionDaemon first = daemon(
                "first",
                ProjectionDaemon.DEFAULT_LEASE_DURATION,
                names.stream().map(CountingProjection::new).toArray(Projection[]::new));
        ProjectionDaemon second = daemon(
                "second",
                ProjectionDaemon.DEFAULT_LEASE_DURATION,
                names.stream().map(CountingProjection::new).toArray(Projection[]::new));
        first.start();
        second.start();
        CountingProjection.append(store, "shared", 300, 10);

        for (int i = 0; i < 10; i++) {
            Set<String> a = first.ownedProjections();
            Set<String> b = second.ownedProjections();
            Set<String> both = new HashSet<>(a);
            both.retainAll(b);
            assertThat(both).as("projections owned by both daemons").isEmpty();
            for (String name : names) {
                String owner = ownerInDatabase(name);
                assertThat(owner).isIn("first", "second", "");
                if (a.contains(name)) {
                    assertThat(owner).isEqualTo("first");
                }
                if (b.contains(name)) {
                    assertThat(owner).isEqualTo("second");
                }
            }
            Thread.sleep(LEASE.toMillis() / 5);
        }
        await("every projection has an owner").atMost(Duration.ofSeconds(10)).until(() -> {
            Set<String> union = new HashSet<>(first.ownedProjections());
            union.addAll(second.ownedProjections());
            return union.containsAll(names);
        });
        for (String name : names) {
            first.awaitPosition(name, store.headPosition(), Duration.ofSeconds(30));
        }
        ProjectionDaemon owner = first.ownedProjections().isEmpty() ? second : first;
        ProjectionDaemon other = owner == first ? second : first;

        owner.close();
        long tookMillis = millisUntil(
                "the other daemon owns everything",
                Duration.ofSeconds(10),
                () -> other.ownedProjections().containsAll(names));
        CountingProjection.append(store, "shared", 100, 10);
        for (String name : names) {
            other.awaitPosition(name, store.headPosition(), Duration.ofSeconds(30));
        }

        System.out.println("take-over after a graceful stop: " + tookMillis + " ms");
        for (String name : names) {
            assertThat(ownerInDatabase(name)).isEqualTo(other.owner());
            new CountingProjection(name).assertEqualsFreshReplay(jdbi, store);
        }
    }

    @Test
    void a_rebuild_started_by_a_daemon_that_does_not_own_the_projection_is_carried_out_by_its_owner() throws Exception {
        String name = CountingProjection.uniqueName("remote");
        CountingProjection projection = new CountingProjection(name).createTables(jdbi);
        List<ProjectionProgress> ownerProgress = new java.util.concurrent.CopyOnWriteArrayList<>();
        ProjectionDaemon owner = ProjectionDaemon.builder(store, database.dataSource())
                .owner("owner-" + name)
                .register(new CountingProjection(name))
                .listener(new ProjectionListener() {
                    @Override
                    public void onProgress(ProjectionProgress progress) {
                        ownerProgress.add(progress);
                    }
                })
                .build()
                .start();
        daemons.add(owner);
        ProjectionDaemon bystander = daemon("bystander-" + name, new CountingProjection(name));
        CountingProjection.append(store, "remote", 500, 10);
        owner.awaitPosition(name, store.headPosition(), Duration.ofSeconds(30));
        ownerProgress.clear();

        ProjectionProgress reset = bystander.rebuild(name);
        CountingProjection.append(store, "remote", 50, 10);
        await("the owner replayed and is active again")
                .atMost(Duration.ofSeconds(30))
                .until(() -> {
                    ProjectionProgress now = bystander.progress(name);
                    return now.status() == ProjectionStatus.ACTIVE && now.checkpoint() >= reset.head();
                });
        owner.awaitPosition(name, store.headPosition(), Duration.ofSeconds(30));

        assertThat(reset.status()).isEqualTo(ProjectionStatus.REBUILDING);
        assertThat(ownerProgress)
                .anyMatch(p -> p.status() == ProjectionStatus.REBUILDING && p.checkpoint() < reset.head());
        assertThat(owner.ownedProjections()).containsExactly(name);
        projection.assertEqualsFreshReplay(jdbi, store);
    }
}
