package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ownership limit that lets daemons share many projections, and transactions fenced by a projection's lease. */
@PostgresTest
@Timeout(120)
class ProjectionOwnershipTest {
    private static final Duration LEASE = Duration.ofMillis(900);
    private static final BusConfig FAST = BusConfig.builder()
            .flushInterval(Duration.ofMillis(20))
            .workerCount(2)
            .build();

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final List<ProjectionDaemon> daemons = new ArrayList<>();

    ProjectionOwnershipTest(TestDatabase database) {
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

    private ProjectionDaemon daemon(String owner, String prefix, int projections, AtomicInteger limit) {
        ProjectionDaemon.Builder builder = ProjectionDaemon.builder(store, database.dataSource())
                .owner(owner)
                .config(FAST)
                .leaseDuration(LEASE)
                .ownershipLimit(limit::get);
        for (int i = 0; i < projections; i++) {
            builder.register(Projection.of(prefix + i, EventFilter.ALL, (h, e) -> {}, h -> {}));
        }
        ProjectionDaemon daemon = builder.build();
        daemons.add(daemon);
        return daemon;
    }

    @Test
    void a_daemon_takes_no_more_than_its_limit_and_gives_back_what_is_above_a_lowered_one() throws Exception {
        AtomicInteger firstLimit = new AtomicInteger(6);
        AtomicInteger secondLimit = new AtomicInteger(3);
        ProjectionDaemon first = daemon("first", "shared", 6, firstLimit).start();
        await("the first owns all six")
                .atMost(Duration.ofSeconds(10))
                .until(() -> first.ownedProjections().size() == 6);
        ProjectionDaemon second = daemon("second", "shared", 6, secondLimit).start();

        firstLimit.set(3);
        await("the second owns three")
                .atMost(Duration.ofSeconds(20))
                .until(() -> second.ownedProjections().size() == 3);

        assertThat(first.ownedProjections()).hasSize(3).doesNotContainAnyElementsOf(second.ownedProjections());
        Thread.sleep(LEASE.toMillis() * 2);
        assertThat(first.ownedProjections()).hasSize(3);
        assertThat(second.ownedProjections()).hasSize(3);
    }

    @Test
    void an_owned_transaction_runs_only_on_the_owner_and_commits_its_writes() throws Exception {
        AtomicInteger unlimited = new AtomicInteger(Integer.MAX_VALUE);
        AtomicInteger none = new AtomicInteger(0);
        ProjectionDaemon owner = daemon("owner", "fenced", 1, unlimited).start();
        ProjectionDaemon other = daemon("other", "fenced", 1, none).start();
        await("the owner owns it")
                .atMost(Duration.ofSeconds(10))
                .until(() -> owner.ownedProjections().size() == 1);
        jdbi.useHandle(h -> {
            h.execute("CREATE TABLE public.fenced_writes (writer text)");
            if (h.isInTransaction()) {
                h.commit();
            }
        });

        Optional<Integer> byOwner = owner.inOwnedTransaction(
                "fenced0", h -> h.execute("INSERT INTO public.fenced_writes VALUES ('owner')"));
        Optional<Integer> byOther = other.inOwnedTransaction(
                "fenced0", h -> h.execute("INSERT INTO public.fenced_writes VALUES ('other')"));

        List<String> writers = jdbi.withHandle(h -> h.createQuery("SELECT writer FROM public.fenced_writes")
                .mapTo(String.class)
                .list());
        assertThat(byOwner).contains(1);
        assertThat(byOther).isEmpty();
        assertThat(writers).containsExactly("owner");
    }
}
