package io.nexus.eventsourcing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventsourcing.Accounts.Account;
import io.nexus.eventsourcing.Accounts.Command;
import io.nexus.eventsourcing.Accounts.Deposit;
import io.nexus.eventsourcing.Accounts.DepositMany;
import io.nexus.eventsourcing.Accounts.Deposited;
import io.nexus.eventsourcing.Accounts.Event;
import io.nexus.eventsourcing.Accounts.InsufficientFunds;
import io.nexus.eventsourcing.Accounts.Open;
import io.nexus.eventsourcing.Accounts.Opened;
import io.nexus.eventsourcing.Accounts.Withdraw;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.SnapshotStore;
import io.nexus.eventstore.core.StreamId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What an {@link AggregateRepository} does on any store; subclasses give the store and the snapshot store. */
@Timeout(300)
abstract class AggregateRepositoryContract {
    /** The store under test; the same instance on each call. */
    protected abstract EventStore store();

    /** A snapshot store beside {@link #store()}; the same instance on each call. */
    protected abstract SnapshotStore snapshots();

    private static String uniqueId() {
        return UUID.randomUUID().toString().substring(0, 13);
    }

    private AggregateRepository<Command, Event, Account> repository(EventStore store) {
        return AggregateRepository.builder(store, Accounts.type().build()).build();
    }

    @Test
    void a_command_appends_its_events_and_returns_the_state_after_them() {
        AggregateRepository<Command, Event, Account> accounts = repository(store());
        String id = uniqueId();

        Decision<Event, Account> opened = accounts.handle(id, new Open("ada"));
        Decision<Event, Account> deposited = accounts.handle(id, new Deposit(100));

        assertThat(opened.events()).containsExactly(new Opened("ada"));
        assertThat(deposited.events()).containsExactly(new Deposited(100));
        assertThat(deposited.state()).isEqualTo(new Account("ada", 100));
        assertThat(deposited.version()).isEqualTo(2);
        assertThat(deposited.attempts()).isEqualTo(1);
        assertThat(accounts.load(id)).isEqualTo(new Aggregate<>(StreamId.of("account-" + id), deposited.state(), 2, 2));
    }

    @Test
    void a_refused_command_throws_the_domain_error_and_appends_nothing() {
        AggregateRepository<Command, Event, Account> accounts = repository(store());
        String id = uniqueId();
        accounts.handle(id, new Open("ada"));

        Throwable thrown = catchThrowable(() -> accounts.handle(id, new Withdraw(5)));

        assertThat(thrown).isInstanceOf(InsufficientFunds.class);
        assertThat(store().streamVersion(StreamId.of("account-" + id))).isEqualTo(1);
    }

    @Test
    void a_command_that_decides_nothing_appends_nothing() {
        AggregateRepository<Command, Event, Account> accounts = repository(store());
        String id = uniqueId();
        accounts.handle(id, new Open("ada"));

        Decision<Event, Account> again = accounts.handle(id, new Open("bob"));

        assertThat(again.events()).isEmpty();
        assertThat(again.version()).isEqualTo(1);
        assertThat(store().streamVersion(StreamId.of("account-" + id))).isEqualTo(1);
    }

    /** A decider that lets another writer append to the aggregate during its first {@code interruptions} decisions. */
    private Decider<Command, Event, Account> interruptedBy(String id, int interruptions, AtomicInteger decisions) {
        return new Decider<>() {
            @Override
            public Account initialState() {
                return Account.NONE;
            }

            @Override
            public Account evolve(Account state, Event event) {
                return Accounts.evolve(state, event);
            }

            @Override
            public List<Event> decide(Command command, Account state) {
                if (decisions.incrementAndGet() <= interruptions) {
                    store().append(
                                    StreamId.of("account-" + id),
                                    ExpectedVersion.any(),
                                    List.of(NewEvent.of(new Deposited(1_000))));
                }
                return Accounts.decide(command, state);
            }
        };
    }

    @Test
    void without_retries_a_conflict_is_an_error_naming_one_attempt_and_nothing_of_the_command_is_appended() {
        String id = uniqueId();
        AtomicInteger decisions = new AtomicInteger();
        AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                        store(),
                        AggregateType.builder("account", interruptedBy(id, 1, decisions), Account.class, Event.class)
                                .build())
                .build();

        Throwable thrown = catchThrowable(() -> accounts.handle(id, new Deposit(5)));

        assertThat(thrown).isInstanceOfSatisfying(AggregateConflictException.class, conflict -> {
            assertThat(conflict.attempts()).isEqualTo(1);
            assertThat(conflict.getMessage()).contains("1 attempt(s)").contains("maxAttempts");
        });
        assertThat(repository(store()).load(id).state()).isEqualTo(new Account("", 1_000));
    }

    @Test
    void a_conflict_is_decided_again_on_the_fresh_state_when_retries_are_allowed() {
        String id = uniqueId();
        AtomicInteger decisions = new AtomicInteger();
        AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                        store(),
                        AggregateType.builder("account", interruptedBy(id, 2, decisions), Account.class, Event.class)
                                .build())
                .maxAttempts(3)
                .build();

        store().append(
                        StreamId.of("account-" + id),
                        ExpectedVersion.noStream(),
                        List.of(NewEvent.of(new Deposited(1_000))));

        Decision<Event, Account> done = accounts.handle(id, new Withdraw(500));

        assertThat(done.attempts()).isEqualTo(3);
        assertThat(done.state()).as("two interruptions of 1,000 each folded in").isEqualTo(new Account("", 2_500));
        assertThat(done.version()).isEqualTo(4);
        assertThat(repository(store()).load(id).state()).isEqualTo(done.state());
    }

    @Test
    void retries_are_bounded_and_the_error_says_how_many_attempts_were_made() {
        String id = uniqueId();
        AtomicInteger decisions = new AtomicInteger();
        AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                        store(),
                        AggregateType.builder(
                                        "account",
                                        interruptedBy(id, Integer.MAX_VALUE, decisions),
                                        Account.class,
                                        Event.class)
                                .build())
                .maxAttempts(4)
                .build();

        Throwable thrown = catchThrowable(() -> accounts.handle(id, new Deposit(5)));

        assertThat(thrown).isInstanceOfSatisfying(AggregateConflictException.class, conflict -> {
            assertThat(conflict.attempts()).isEqualTo(4);
            assertThat(conflict.getMessage()).contains("all 4 attempt(s)");
        });
        assertThat(decisions).hasValue(4);
        assertThat(repository(store()).load(id).state().balance()).isEqualTo(4_000);
    }

    @Test
    void threads_deciding_on_one_aggregate_with_retries_reach_the_exact_final_state() throws Exception {
        int threads = 8;
        int depositsEach = 25;
        String id = uniqueId();
        // Each decision takes a millisecond, so the threads' load-decide-append windows overlap and conflicts happen.
        Decider<Command, Event, Account> slow = Decider.of(Account.NONE, Accounts::evolve, (command, state) -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Accounts.decide(command, state);
        });
        AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                        store(),
                        AggregateType.builder("account", slow, Account.class, Event.class)
                                .snapshotEvery(10)
                                .build())
                .snapshots(snapshots())
                .maxAttempts(1_000)
                .build();
        accounts.handle(id, new Open("ada"));
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> retried = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                retried.add(pool.submit(() -> {
                    start.await();
                    int extraAttempts = 0;
                    for (int i = 0; i < depositsEach; i++) {
                        extraAttempts += accounts.handle(id, new Deposit(1)).attempts() - 1;
                    }
                    return extraAttempts;
                }));
            }
            int conflicts = 0;
            for (Future<Integer> future : retried) {
                conflicts += future.get();
            }

            Aggregate<Account> loaded = repository(store()).load(id);
            assertThat(loaded.state()).isEqualTo(new Account("ada", (long) threads * depositsEach));
            assertThat(loaded.version()).isEqualTo(1 + threads * depositsEach);
            assertThat(conflicts).as("threads released together conflict").isPositive();
            ForkJoinQuiet.await();
            assertThat(accounts.load(id).state()).as("through the snapshots").isEqualTo(loaded.state());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void loading_a_10_000_event_stream_with_snapshots_every_100_reads_at_most_100_events() {
        CountingEventStore counting = new CountingEventStore(store());
        AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                        counting, Accounts.type().snapshotEvery(100).build())
                .snapshots(snapshots())
                .snapshotExecutor(Runnable::run)
                .build();
        String id = uniqueId();
        accounts.handle(id, new Open("ada"));
        long mostReadByOneCommand = 0;
        for (int i = 0; i < 10_000 / 50; i++) {
            counting.takeEventsRead();
            accounts.handle(id, new DepositMany(50));
            mostReadByOneCommand = Math.max(mostReadByOneCommand, counting.takeEventsRead());
        }

        Aggregate<Account> loaded = accounts.load(id);
        long readByLoad = counting.takeEventsRead();

        assertThat(loaded.version()).isEqualTo(10_001);
        assertThat(loaded.state()).isEqualTo(new Account("ada", 10_000));
        assertThat(readByLoad).isLessThanOrEqualTo(100).isEqualTo(loaded.eventsRead());
        assertThat(mostReadByOneCommand).isLessThanOrEqualTo(100);
        assertThat(repository(counting).load(id)).satisfies(full -> {
            assertThat(full.state()).isEqualTo(loaded.state());
            assertThat(full.eventsRead()).isEqualTo(10_001);
        });
    }

    @Test
    void a_snapshot_of_another_schema_version_is_ignored_and_rebuilt() {
        CountingEventStore counting = new CountingEventStore(store());
        String id = uniqueId();
        AggregateRepository<Command, Event, Account> v1 = AggregateRepository.builder(
                        counting, Accounts.type().snapshotEvery(100).build())
                .snapshots(snapshots())
                .snapshotExecutor(Runnable::run)
                .build();
        v1.handle(id, new Open("ada"));
        v1.handle(id, new DepositMany(300));
        AggregateRepository<Command, Event, Account> v2 = AggregateRepository.builder(
                        counting,
                        Accounts.type()
                                .snapshotEvery(100)
                                .snapshotSchemaVersion(2)
                                .build())
                .snapshots(snapshots())
                .snapshotExecutor(Runnable::run)
                .build();
        counting.takeEventsRead();

        Aggregate<Account> rebuilt = v2.load(id);
        long readWithoutUsableSnapshot = counting.takeEventsRead();
        Aggregate<Account> fromNewSnapshot = v2.load(id);
        long readWithNewSnapshot = counting.takeEventsRead();

        assertThat(readWithoutUsableSnapshot).isEqualTo(301);
        assertThat(readWithNewSnapshot).isZero();
        assertThat(fromNewSnapshot.state()).isEqualTo(rebuilt.state()).isEqualTo(new Account("ada", 300));
        assertThat(snapshots().load(StreamId.of("account-" + id), "account", 2, Account.class))
                .hasValueSatisfying(
                        snapshot -> assertThat(snapshot.streamVersion()).isEqualTo(301));
    }

    @Test
    void a_failing_snapshot_store_never_fails_a_command_and_loading_folds_the_whole_stream() {
        SnapshotStore broken = new SnapshotStore() {
            @Override
            public <S> Optional<Snapshot<S>> load(
                    StreamId streamId, String snapshotType, int schemaVersion, Class<S> stateClass) {
                throw new IllegalStateException("snapshot storage is down");
            }

            @Override
            public boolean save(Snapshot<?> snapshot) {
                throw new IllegalStateException("snapshot storage is down");
            }
        };
        CountingEventStore counting = new CountingEventStore(store());
        AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                        counting, Accounts.type().snapshotEvery(2).build())
                .snapshots(broken)
                .snapshotExecutor(Runnable::run)
                .build();
        String id = uniqueId();

        accounts.handle(id, new Open("ada"));
        accounts.handle(id, new DepositMany(5));
        Decision<Event, Account> last = accounts.handle(id, new Withdraw(2));
        counting.takeEventsRead();
        Aggregate<Account> loaded = accounts.load(id);

        assertThat(last.state()).isEqualTo(new Account("ada", 3));
        assertThat(loaded.state()).isEqualTo(last.state());
        assertThat(counting.takeEventsRead()).isEqualTo(7);
    }

    @Test
    void a_snapshot_write_that_loses_a_race_to_a_newer_one_changes_nothing() {
        String id = uniqueId();
        AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                        store(), Accounts.type().snapshotEvery(1).build())
                .snapshots(snapshots())
                .snapshotExecutor(Runnable::run)
                .build();
        accounts.handle(id, new Open("ada"));
        accounts.handle(id, new Deposit(10));
        StreamId stream = StreamId.of("account-" + id);

        boolean late = snapshots()
                .save(new Snapshot<>(stream, "account", 1, 1, new Account("ada", 0), java.time.Instant.now()));

        assertThat(late).isFalse();
        assertThat(accounts.load(id).state()).isEqualTo(new Account("ada", 10));
    }

    @Test
    void bad_settings_are_refused_naming_the_value() {
        assertThat(catchThrowable(() -> AggregateRepository.builder(
                                store(), Accounts.type().build())
                        .maxAttempts(0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts must be >= 1, was 0");
        assertThat(catchThrowable(() -> Accounts.type().snapshotEvery(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was -1");
        assertThat(catchThrowable(
                        () -> AggregateType.builder("bank-account", Accounts.DECIDER, Account.class, Event.class)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bank-account'");
    }

    /** Waits for the common pool's snapshot writes (the default executor) to finish. */
    static final class ForkJoinQuiet {
        private ForkJoinQuiet() {}

        static void await() {
            java.util.concurrent.ForkJoinPool.commonPool().awaitQuiescence(30, TimeUnit.SECONDS);
        }
    }
}
