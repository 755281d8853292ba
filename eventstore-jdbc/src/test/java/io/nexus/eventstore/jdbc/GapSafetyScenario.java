package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The gap-safety scenario: writer threads, released together, append through {@link RawAppends} in transactions that
 * commit after a random delay or (one in ten) roll back, while a reader pages {@link EventStore#readAll} from the head
 * until the writers are done. {@link Result#assertGapSafe()} then checks that every committed event was seen exactly
 * once, no rolled back one at all, at dense positions, and each stream's versions in order.
 */
final class GapSafetyScenario {
    private final DataSource writersUse;
    private final EventStore readerUses;
    private final int writers;
    private final Duration runFor;
    private final String streamPrefix;
    private final int streamCount;
    private final int moreCommittedThan;
    private final boolean connectionPerTransaction;
    private final @Nullable EventStore everyOtherWriterAppendsThrough;

    private GapSafetyScenario(Builder builder) {
        this.writersUse = builder.writersUse;
        this.readerUses = builder.readerUses;
        this.writers = builder.writers;
        this.runFor = builder.runFor;
        this.streamPrefix = builder.streamPrefix;
        this.streamCount = builder.streamCount;
        this.moreCommittedThan = builder.moreCommittedThan;
        this.connectionPerTransaction = builder.connectionPerTransaction;
        this.everyOtherWriterAppendsThrough = builder.everyOtherWriterAppendsThrough;
    }

    /**
     * A scenario whose writers take their connections from {@code writersUse} and whose reader reads through
     * {@code readerUses}; by default each writer holds one connection with autocommit off for the whole run.
     */
    static Builder builder(DataSource writersUse, EventStore readerUses) {
        return new Builder(writersUse, readerUses);
    }

    /** Runs the writers and the reader to the end; a writer or the reader taking over 60 s more fails the run. */
    Result run() throws Exception {
        Set<UUID> committed = ConcurrentHashMap.newKeySet();
        Set<UUID> rolledBack = ConcurrentHashMap.newKeySet();
        AtomicInteger running = new AtomicInteger(writers);
        ExecutorService threads = Executors.newFixedThreadPool(writers + 1);
        try {
            CountDownLatch start = new CountDownLatch(1);
            long deadline = System.nanoTime() + runFor.toNanos();
            long startPosition = readerUses.headPosition() + 1;
            String run = UUID.randomUUID().toString().substring(0, 8);

            List<Future<?>> writerResults = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                EventStore throughTheStore = w % 2 == 0 ? everyOtherWriterAppendsThrough : null;
                writerResults.add(threads.submit(() -> {
                    start.await();
                    try {
                        if (throughTheStore != null) {
                            appendThroughTheStore(throughTheStore, deadline, run, committed);
                        } else if (connectionPerTransaction) {
                            while (System.nanoTime() < deadline) {
                                try (Connection connection = writersUse.getConnection()) {
                                    appendOneTransaction(connection, run, committed, rolledBack);
                                }
                            }
                        } else {
                            try (Connection connection = writersUse.getConnection()) {
                                connection.setAutoCommit(false);
                                while (System.nanoTime() < deadline) {
                                    appendOneTransaction(connection, run, committed, rolledBack);
                                }
                            }
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                    return null;
                }));
            }
            Future<List<RecordedEvent>> reader = threads.submit(() -> {
                start.await();
                List<RecordedEvent> seen = new ArrayList<>();
                long next = startPosition;
                while (true) {
                    boolean writersDone = running.get() == 0;
                    List<RecordedEvent> page = readerUses.readAll(next, 200);
                    seen.addAll(page);
                    if (!page.isEmpty()) {
                        next = page.get(page.size() - 1).position() + 1;
                    } else if (writersDone) {
                        return seen;
                    }
                }
            });
            start.countDown();
            for (Future<?> writer : writerResults) {
                writer.get(60, TimeUnit.SECONDS);
            }
            List<RecordedEvent> seen = reader.get(60, TimeUnit.SECONDS);
            return new Result(startPosition, committed, rolledBack, seen, moreCommittedThan);
        } finally {
            threads.shutdownNow();
        }
    }

    private void appendOneTransaction(Connection connection, String run, Set<UUID> committed, Set<UUID> rolledBack)
            throws Exception {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<UUID> ids = new ArrayList<>();
        for (int i = random.nextInt(1, 4); i > 0; i--) {
            ids.add(UUID.randomUUID());
        }
        RawAppends.append(connection, stream(run, random), ids);
        Thread.sleep(random.nextInt(0, 15));
        if (random.nextInt(10) == 0) {
            connection.rollback();
            rolledBack.addAll(ids);
        } else {
            connection.commit();
            committed.addAll(ids);
        }
    }

    private void appendThroughTheStore(EventStore store, long deadline, String run, Set<UUID> committed) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (System.nanoTime() < deadline) {
            List<NewEvent> events = new ArrayList<>();
            for (int i = random.nextInt(1, 4); i > 0; i--) {
                events.add(NewEvent.of("test.event", RawJson.of("{}")));
            }
            List<UUID> ids = events.stream().map(NewEvent::eventId).toList();
            store.append(StreamId.of(stream(run, random)), ExpectedVersion.any(), events);
            committed.addAll(ids);
        }
    }

    private String stream(String run, ThreadLocalRandom random) {
        return streamPrefix + run + "-" + random.nextInt(streamCount);
    }

    /** What a run committed, rolled back and saw, the reader having started at {@code startPosition}. */
    record Result(
            long startPosition,
            Set<UUID> committed,
            Set<UUID> rolledBack,
            List<RecordedEvent> seen,
            int moreCommittedThan) {
        Result {
            committed = Set.copyOf(committed);
            rolledBack = Set.copyOf(rolledBack);
            seen = List.copyOf(seen);
        }

        /**
         * More than the scenario's threshold committed and some rolled back; every committed event seen exactly
         * once, no rolled back one; positions dense from {@code startPosition}; each stream's versions 1, 2, 3… in
         * the order seen.
         */
        void assertGapSafe() {
            List<UUID> seenIds = seen.stream().map(RecordedEvent::eventId).toList();
            assertThat(committed).hasSizeGreaterThan(moreCommittedThan);
            assertThat(rolledBack).isNotEmpty();
            assertThat(seenIds).as("events seen").hasSize(committed.size());
            assertThat(new HashSet<>(seenIds))
                    .as("distinct events seen")
                    .hasSameSizeAs(seenIds)
                    .isEqualTo(committed);
            assertThat(seenIds).doesNotContainAnyElementsOf(rolledBack);
            for (int i = 0; i < seen.size(); i++) {
                assertThat(seen.get(i).position())
                        .as("position of the %d-th event seen", i)
                        .isEqualTo(startPosition + i);
            }
            Map<String, Long> lastVersion = new HashMap<>();
            for (RecordedEvent event : seen) {
                long previous = lastVersion.getOrDefault(event.streamId().value(), 0L);
                assertThat(event.streamVersion())
                        .as("version order of %s", event.streamId())
                        .isEqualTo(previous + 1);
                lastVersion.put(event.streamId().value(), event.streamVersion());
            }
        }
    }

    /** Configures a {@link GapSafetyScenario}; each setter rejects a bad value at once, quoting it. */
    static final class Builder {
        private final DataSource writersUse;
        private final EventStore readerUses;
        private int writers = 8;
        private Duration runFor = Duration.ofSeconds(4);
        private String streamPrefix = "gap";
        private int streamCount = 48;
        private int moreCommittedThan = 100;
        private boolean connectionPerTransaction;
        private @Nullable EventStore everyOtherWriterAppendsThrough;

        private Builder(DataSource writersUse, EventStore readerUses) {
            this.writersUse = requireNonNull(writersUse, "writersUse");
            this.readerUses = requireNonNull(readerUses, "readerUses");
        }

        /** How many writer threads; default 8. */
        Builder writers(int writers) {
            if (writers < 1) {
                throw new IllegalArgumentException("writers must be >= 1, was " + writers);
            }
            this.writers = writers;
            return this;
        }

        /** How long the writers keep appending; default 4 s. */
        Builder runFor(Duration runFor) {
            requireNonNull(runFor, "runFor");
            if (runFor.isNegative() || runFor.isZero()) {
                throw new IllegalArgumentException("runFor must be positive, was " + runFor);
            }
            this.runFor = runFor;
            return this;
        }

        /** Writers append to {@code count} streams named {@code prefix + run + "-" + n}; default "gap", 48. */
        Builder streams(String prefix, int count) {
            requireNonNull(prefix, "prefix");
            if (prefix.isBlank()) {
                throw new IllegalArgumentException("stream prefix must not be blank, was '" + prefix + "'");
            }
            if (count < 1) {
                throw new IllegalArgumentException("stream count must be >= 1, was " + count);
            }
            this.streamPrefix = prefix;
            this.streamCount = count;
            return this;
        }

        /** How many committed events {@link Result#assertGapSafe()} requires it to exceed; default 100. */
        Builder moreCommittedThan(int moreCommittedThan) {
            if (moreCommittedThan < 0) {
                throw new IllegalArgumentException("moreCommittedThan must be >= 0, was " + moreCommittedThan);
            }
            this.moreCommittedThan = moreCommittedThan;
            return this;
        }

        /**
         * Each raw transaction on a connection of its own, as the pool hands it out: its connections must already
         * have autocommit off.
         */
        Builder connectionPerTransaction() {
            this.connectionPerTransaction = true;
            return this;
        }

        /** Writers 0, 2, 4… append through {@code store} instead (always committed); the others as configured. */
        Builder everyOtherWriterAppendsThrough(EventStore store) {
            this.everyOtherWriterAppendsThrough = requireNonNull(store, "store");
            return this;
        }

        GapSafetyScenario build() {
            return new GapSafetyScenario(this);
        }
    }
}
