package io.nexus.sagas.testing;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.sagas.Saga;
import io.nexus.sagas.SagaEvents;
import io.nexus.sagas.Step;
import io.nexus.sagas.internal.Instance;
import io.nexus.sagas.internal.SagaRuntime;
import io.nexus.sagas.internal.StepPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Given / when / then for a {@link Saga}, in memory and with a clock the test moves: the same step planning as the
 * PostgreSQL {@link io.nexus.sagas.SagaWorker} (start, end, deadlines, bookkeeping events), without a database.
 *
 * <pre>{@code
 * SagaFixture<State> fixture = SagaFixture.of(new OrderSaga(Duration.ofMinutes(15)));
 * fixture.given(new OrderCreated("o-1", 4200));
 * SagaFixture.Result result = fixture.whenTimePasses(Duration.ofMinutes(16));
 * assertThat(result.emittedData()).containsExactly(new OrderCancelled("o-1", "payment_timeout"));
 * assertThat(result.endReasons()).containsExactly("cancelled");
 * }</pre>
 *
 * <p>Given and when events are {@link NewEvent}s or payloads whose class carries {@code @EventType}. Not thread-safe.
 *
 * @param <S> the saga's state
 */
public final class SagaFixture<S> {
    /**
     * What one {@code when} did.
     *
     * @param recorded events appended to instance streams (bookkeeping included), in order
     * @param emitted events emitted to other streams, in order
     * @param endReasons the end reasons of instances that ended
     */
    public record Result(List<NewEvent> recorded, List<Step.Emission> emitted, List<String> endReasons) {
        /** {@return the payloads of the emitted events, in order} */
        public List<Object> emittedData() {
            return emitted.stream().map(e -> e.event().data()).toList();
        }

        /** {@return the types of the recorded events, bookkeeping included, in order} */
        public List<String> recordedTypes() {
            return recorded.stream().map(NewEvent::type).toList();
        }
    }

    private final Saga<S> saga;
    private final Set<String> triggers = new HashSet<>();
    private final Map<String, Instance<S>> instances = new HashMap<>();
    private final Map<String, Map<String, Instant>> deadlines = new HashMap<>();
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private long position;

    private SagaFixture(Saga<S> saga) {
        this.saga = requireNonNull(saga, "saga");
        triggers.addAll(saga.startedBy());
        triggers.addAll(saga.handles());
    }

    /**
     * A fixture for {@code saga} with its clock at 2026-01-01T00:00:00Z.
     *
     * @param <S> the saga's state
     * @param saga the saga
     * @return the fixture
     */
    public static <S> SagaFixture<S> of(Saga<S> saga) {
        return new SagaFixture<>(saga);
    }

    /**
     * Sets the clock.
     *
     * @param instant the new time
     * @return this fixture
     */
    public SagaFixture<S> at(Instant instant) {
        this.now = requireNonNull(instant, "instant");
        return this;
    }

    /** {@return the fixture's clock} */
    public Instant now() {
        return now;
    }

    /**
     * Handles past events, in order, as a worker would have.
     *
     * @param events the events
     * @return this fixture
     */
    public SagaFixture<S> given(Object... events) {
        for (Object event : events) {
            handle(event);
        }
        return this;
    }

    /**
     * Handles {@code event} and returns what the saga did.
     *
     * @param event the event
     * @return what it recorded, emitted, and which instances ended
     */
    public Result when(Object event) {
        return handle(event);
    }

    /**
     * Moves the clock on by {@code duration} and fires the deadlines that became due, earliest first.
     *
     * @param duration how far
     * @return what the saga did on them
     */
    public Result whenTimePasses(Duration duration) {
        now = now.plus(duration);
        List<NewEvent> recorded = new ArrayList<>();
        List<Step.Emission> emitted = new ArrayList<>();
        List<String> ended = new ArrayList<>();
        TreeMap<Instant, List<String[]>> due = new TreeMap<>();
        deadlines.forEach((id, byName) -> byName.forEach((name, at) -> {
            if (!at.isAfter(now)) {
                due.computeIfAbsent(at, k -> new ArrayList<>()).add(new String[] {id, name});
            }
        }));
        due.forEach((at, list) -> list.forEach(pair -> {
            Map<String, Instant> byName = deadlines.getOrDefault(pair[0], Map.of());
            if (!at.equals(byName.get(pair[1]))) {
                return; // cancelled or moved by an earlier firing
            }
            deadlines.get(pair[0]).remove(pair[1]);
            Instance<S> instance = instances.get(pair[0]);
            Step step = saga.onDeadline(instance.state(), pair[1]);
            carryOut(instance, StepPlan.Trigger.deadline(pair[1], at), step, recorded, emitted, ended);
        }));
        return new Result(List.copyOf(recorded), List.copyOf(emitted), List.copyOf(ended));
    }

    /**
     * The deadlines set and neither fired nor cancelled, of the instance {@code sagaId}.
     *
     * @param sagaId the association id
     * @return deadline name to due time
     */
    public Map<String, Instant> deadlines(String sagaId) {
        return Map.copyOf(deadlines.getOrDefault(sagaId, Map.of()));
    }

    /**
     * The state of the instance {@code sagaId}, folded from its events.
     *
     * @param sagaId the association id
     * @return its state, or empty if it never started
     */
    public Optional<S> state(String sagaId) {
        Instance<S> instance = instances.get(sagaId);
        return instance == null || !instance.exists() ? Optional.empty() : Optional.of(instance.state());
    }

    /**
     * Whether the instance {@code sagaId} ended.
     *
     * @param sagaId the association id
     * @return true once it recorded {@code saga.ended}
     */
    public boolean hasEnded(String sagaId) {
        Instance<S> instance = instances.get(sagaId);
        return instance != null && instance.ended();
    }

    private Result handle(Object event) {
        RecordedEvent recordedEvent = record(event);
        List<NewEvent> recorded = new ArrayList<>();
        List<Step.Emission> emitted = new ArrayList<>();
        List<String> ended = new ArrayList<>();
        if (triggers.contains(recordedEvent.type())) {
            Optional<String> id = saga.associationId(recordedEvent);
            if (id.isPresent()) {
                Instance<S> instance = instances.computeIfAbsent(
                        id.get(),
                        key -> new Instance<>(
                                key, StreamId.of(SagaRuntime.streamPrefix(saga.type()) + key), saga.initialState()));
                boolean starts = instance.exists() || saga.startedBy().contains(recordedEvent.type());
                if (!instance.ended() && starts) {
                    Step step = saga.on(instance.state(), recordedEvent);
                    carryOut(instance, StepPlan.Trigger.of(recordedEvent), step, recorded, emitted, ended);
                }
            }
        }
        return new Result(List.copyOf(recorded), List.copyOf(emitted), List.copyOf(ended));
    }

    private void carryOut(
            Instance<S> instance,
            StepPlan.Trigger trigger,
            Step step,
            List<NewEvent> recorded,
            List<Step.Emission> emitted,
            List<String> ended) {
        StepPlan plan = StepPlan.of(saga, instance, trigger, step, now, "saga-fixture");
        recorded.addAll(plan.sagaEvents());
        emitted.addAll(plan.emissions());
        Map<String, Instant> pending = deadlines.computeIfAbsent(instance.id(), k -> new HashMap<>());
        if (plan.ended()) {
            pending.clear();
            step.endReason().ifPresent(ended::add);
        } else {
            plan.cancelled().forEach(pending::remove);
            pending.putAll(plan.deadlines());
        }
        plan.foldInto(saga, instance, now);
    }

    private RecordedEvent record(Object event) {
        NewEvent newEvent = event instanceof NewEvent given ? given : NewEvent.of(requireNonNull(event, "event"));
        if (SagaEvents.isBookkeeping(newEvent.type())) {
            throw new IllegalArgumentException("'" + newEvent.type() + "' is written by the worker, not given");
        }
        position++;
        return new RecordedEvent(
                StreamId.of("fixture-" + position),
                1,
                position,
                newEvent.eventId(),
                newEvent.type(),
                newEvent.data(),
                newEvent.metadata(),
                newEvent.correlationId(),
                newEvent.causationId(),
                newEvent.source(),
                now);
    }
}
