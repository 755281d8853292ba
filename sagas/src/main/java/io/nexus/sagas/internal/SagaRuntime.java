package io.nexus.sagas.internal;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.PostgresSnapshotStore;
import io.nexus.sagas.Saga;
import io.nexus.sagas.SagaSnapshots;
import io.nexus.sagas.Step;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * Runs one saga type's steps in a caller's transaction: the batch of a partition (after the engine's checkpoint
 * compare-and-set), or the firing of a partition's due deadlines (after the lease fence). Each step appends the
 * instance's new events with its loaded version as the expected version, appends the emissions and writes the
 * deadlines, all through the transaction's connection, so the step and the checkpoint commit together or not at all.
 */
public final class SagaRuntime<S> {
    private static final Logger LOG = System.getLogger(SagaRuntime.class.getName());
    private static final int PAGE = 500;
    /** The longest association id: keeps {@code saga-<type>-<id>} within a stream id's 200 characters. */
    public static final int MAX_ASSOCIATION_ID_LENGTH = 100;

    private final Saga<S> saga;
    private final PostgresEventStore store;
    private final SagaRows rows;
    private final Clock clock;
    private final String source;
    private final int partitions;
    private final Set<String> startedBy;
    private final Set<String> triggers;
    private final String streamPrefix;
    private final @Nullable SagaSnapshots<S> snapshots;
    private final @Nullable PostgresSnapshotStore snapshotStore;

    public SagaRuntime(
            Saga<S> saga,
            PostgresEventStore store,
            SagaRows rows,
            Clock clock,
            String source,
            int partitions,
            @Nullable SagaSnapshots<S> snapshots) {
        this.saga = saga;
        this.store = store;
        this.rows = rows;
        this.clock = clock;
        this.source = source;
        this.partitions = partitions;
        this.startedBy = Set.copyOf(saga.startedBy());
        Set<String> all = new HashSet<>(startedBy);
        all.addAll(saga.handles());
        this.triggers = Set.copyOf(all);
        this.streamPrefix = streamPrefix(saga.type());
        this.snapshots = snapshots;
        this.snapshotStore = snapshots == null ? null : PostgresSnapshotStore.of(store);
    }

    /** The prefix of every instance stream of {@code type}: {@code saga-<type>-}. */
    public static String streamPrefix(String type) {
        return "saga-" + type + "-";
    }

    /** The partition of an instance: stable across processes and releases ({@link String#hashCode} is specified). */
    public static int partitionOf(String sagaId, int partitions) {
        return Math.floorMod(sagaId.hashCode(), partitions);
    }

    public EventFilter filter() {
        return EventFilter.types(triggers.toArray(String[]::new));
    }

    /** Handles the events of {@code batch} that belong to {@code partition}, oldest first, in {@code handle}. */
    public void handleBatch(Handle handle, int partition, List<RecordedEvent> batch) {
        Map<String, Instance<S>> loaded = new HashMap<>();
        for (RecordedEvent event : batch) {
            // A saga never reacts to its own instances' streams, whatever types it records there.
            if (!triggers.contains(event.type()) || event.streamId().value().startsWith(streamPrefix)) {
                continue;
            }
            Optional<String> association = saga.associationId(event);
            if (association.isEmpty() || partitionOf(association.get(), partitions) != partition) {
                continue;
            }
            String id = checkAssociationId(association.get(), event);
            Instance<S> instance = loaded.computeIfAbsent(id, key -> load(handle, key));
            if (instance.ended() || (!instance.exists() && !startedBy.contains(event.type()))) {
                continue;
            }
            Step step = saga.on(instance.state(), event);
            carryOut(handle, partition, instance, StepPlan.Trigger.of(event), step);
        }
    }

    /**
     * Fires up to {@code max} deadlines of {@code partition} that are due by the clock, each with the saga's step on
     * it, in {@code handle}.
     *
     * @return how many fired
     */
    public int fireDue(Handle handle, int partition, int max) {
        List<SagaRows.DueDeadline> due = rows.due(handle, saga.type(), partition, clock.instant(), max);
        Map<String, Instance<S>> loaded = new HashMap<>();
        for (SagaRows.DueDeadline deadline : due) {
            rows.cancelDeadline(handle, saga.type(), deadline.sagaId(), deadline.name());
            Instance<S> instance = loaded.computeIfAbsent(deadline.sagaId(), key -> load(handle, key));
            if (instance.ended() || !instance.exists()) {
                continue; // left over from an instance that ended: gone with this delete
            }
            Step step = saga.onDeadline(instance.state(), deadline.name());
            carryOut(handle, partition, instance, StepPlan.Trigger.deadline(deadline.name(), deadline.dueAt()), step);
        }
        return due.size();
    }

    private void carryOut(Handle handle, int partition, Instance<S> instance, StepPlan.Trigger trigger, Step step) {
        Instant now = clock.instant();
        StepPlan plan = StepPlan.of(saga, instance, trigger, step, now, source);
        if (!plan.sagaEvents().isEmpty()) {
            // The loaded version as the expected one: a step decided on stale state can never commit.
            ExpectedVersion expected =
                    instance.exists() ? ExpectedVersion.exactly(instance.version()) : ExpectedVersion.noStream();
            store.append(handle.getConnection(), instance.stream(), expected, plan.sagaEvents());
        }
        for (Step.Emission emission : plan.emissions()) {
            store.append(handle.getConnection(), emission.stream(), ExpectedVersion.any(), List.of(emission.event()));
        }
        if (plan.ended()) {
            rows.cancelAll(handle, saga.type(), instance.id());
        } else {
            plan.cancelled().forEach(name -> rows.cancelDeadline(handle, saga.type(), instance.id(), name));
            plan.deadlines()
                    .forEach((name, at) -> rows.setDeadline(handle, saga.type(), instance.id(), name, partition, at));
        }
        long before = instance.version();
        plan.foldInto(saga, instance, now);
        SagaSnapshots<S> every = snapshots;
        PostgresSnapshotStore cache = snapshotStore;
        if (every != null
                && cache != null
                && !instance.ended()
                && before / every.every() != instance.version() / every.every()) {
            // In the step's transaction: a snapshot never gets ahead of the events it folds.
            cache.save(
                    handle.getConnection(),
                    new Snapshot<>(
                            instance.stream(),
                            snapshotType(),
                            instance.version(),
                            every.schemaVersion(),
                            instance.state(),
                            now));
        }
    }

    private String snapshotType() {
        return "saga-" + saga.type();
    }

    private String checkAssociationId(String id, RecordedEvent event) {
        if (id.isBlank()
                || id.length() > MAX_ASSOCIATION_ID_LENGTH
                || id.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("saga '" + saga.type() + "': the association id of event "
                    + event.eventId() + " (" + event.type() + " at position " + event.position() + ") must be 1 to "
                    + MAX_ASSOCIATION_ID_LENGTH + " characters, not blank, without control characters; was '" + id
                    + "'");
        }
        return id;
    }

    /**
     * The instance's snapshot, or none when it cannot be decoded (a state class changed and its schema version kept):
     * a snapshot is a cache, and one that cannot be read costs a full fold, never the partition's progress. Decoding
     * fails in this process, so the batch's transaction is still usable.
     */
    private Optional<Snapshot<S>> snapshot(
            Handle handle, StreamId stream, SagaSnapshots<S> every, PostgresSnapshotStore cache) {
        try {
            return cache.load(
                    handle.getConnection(), stream, snapshotType(), every.schemaVersion(), every.stateClass());
        } catch (EventSerializationException e) {
            LOG.log(
                    Level.WARNING,
                    "saga '" + saga.type() + "': could not decode the snapshot of " + stream
                            + "; folding its whole stream (bump SagaSnapshots' schema version when the state changes)",
                    e);
            return Optional.empty();
        }
    }

    /** Rebuilds the instance from its stream: committed history is all there is. */
    private Instance<S> load(Handle handle, String id) {
        StreamId stream = StreamId.of(streamPrefix + id);
        Instance<S> instance = new Instance<>(id, stream, saga.initialState());
        long from = 1;
        SagaSnapshots<S> every = snapshots;
        PostgresSnapshotStore cache = snapshotStore;
        if (every != null && cache != null) {
            Optional<Snapshot<S>> snapshot = snapshot(handle, stream, every, cache);
            if (snapshot.isPresent()) {
                // A snapshot holds the state, not the envelope: the conversation's id is that of the first event.
                UUID correlationId = store.readStream(stream, 1, 1).stream()
                        .findFirst()
                        .map(RecordedEvent::correlationId)
                        .orElse(null);
                instance.restore(snapshot.get().state(), snapshot.get().streamVersion(), correlationId);
                from = snapshot.get().streamVersion() + 1;
            }
        }
        while (true) {
            List<RecordedEvent> page = store.readStream(stream, from, PAGE);
            page.forEach(event -> instance.replay(saga, event));
            if (page.size() < PAGE) {
                return instance;
            }
            from = page.get(page.size() - 1).streamVersion() + 1;
        }
    }
}
