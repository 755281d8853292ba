package io.nexus.sagas.internal;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.sagas.Saga;
import io.nexus.sagas.SagaEvents;
import io.nexus.sagas.Step;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Step} made concrete for one instance: the events to append to its stream (bookkeeping included, with their
 * envelopes filled in), the emissions with theirs, the deadlines to set and cancel. Pure: the PostgreSQL worker and
 * the test fixture both carry out the same plan.
 *
 * @param sagaEvents the events for the instance's stream, in order
 * @param emissions the events for other streams, in order
 * @param deadlines deadline name to due time, to set (replacing one of the same name)
 * @param cancelled deadline names to cancel
 * @param ended whether the instance ends (all its deadlines go)
 */
public record StepPlan(
        List<NewEvent> sagaEvents,
        List<Step.Emission> emissions,
        Map<String, Instant> deadlines,
        Set<String> cancelled,
        boolean ended) {

    /**
     * What triggered a step: an event, or a deadline that fired.
     *
     * @param type the event's type, or the deadline's name
     * @param eventId the event's id; null for a deadline
     * @param correlationId the event's correlation id, if any
     * @param deadlineDueAt when the deadline was due; null for an event
     */
    public record Trigger(
            String type,
            @Nullable UUID eventId,
            @Nullable UUID correlationId,
            @Nullable Instant deadlineDueAt) {
        public static Trigger of(RecordedEvent event) {
            return new Trigger(event.type(), event.eventId(), event.correlationId(), null);
        }

        public static Trigger deadline(String name, Instant dueAt) {
            return new Trigger(name, null, null, dueAt);
        }
    }

    /** Plans {@code step} of {@code instance}, triggered by {@code trigger}, at {@code now}, written by {@code source}. */
    public static <S> StepPlan of(
            Saga<S> saga, Instance<S> instance, Trigger trigger, Step step, Instant now, String source) {
        List<NewEvent> bookkept = new ArrayList<>();
        UUID triggerEventId = trigger.eventId();
        if (!instance.exists()) {
            bookkept.add(NewEvent.of(
                    SagaEvents.STARTED,
                    new SagaEvents.Started(
                            saga.type(),
                            instance.id(),
                            trigger.type(),
                            triggerEventId == null ? new UUID(0, 0) : triggerEventId)));
        }
        Instant dueAt = trigger.deadlineDueAt();
        if (dueAt != null) {
            NewEvent fired =
                    NewEvent.of(SagaEvents.DEADLINE_FIRED, new SagaEvents.DeadlineFired(trigger.type(), dueAt));
            bookkept.add(fired);
            triggerEventId = fired.eventId(); // what the saga does next was caused by the deadline firing
        }
        UUID correlation = trigger.correlationId() != null
                ? trigger.correlationId()
                : instance.correlationId() != null ? instance.correlationId() : triggerEventId;
        List<NewEvent> events = new ArrayList<>(bookkept);
        events.addAll(step.records());
        Map<String, Instant> deadlines = step.deadlines(now);
        step.cancelledDeadlines()
                .forEach(name ->
                        events.add(NewEvent.of(SagaEvents.DEADLINE_CANCELLED, new SagaEvents.DeadlineCancelled(name))));
        deadlines.forEach(
                (name, at) -> events.add(NewEvent.of(SagaEvents.DEADLINE_SET, new SagaEvents.DeadlineSet(name, at))));
        step.endReason().ifPresent(reason -> events.add(NewEvent.of(SagaEvents.ENDED, new SagaEvents.Ended(reason))));
        List<NewEvent> sagaEvents = new ArrayList<>();
        for (NewEvent event : events) {
            sagaEvents.add(envelope(event, correlation, triggerEventId, source));
        }
        List<Step.Emission> emissions = new ArrayList<>();
        for (Step.Emission emission : step.emissions()) {
            emissions.add(new Step.Emission(
                    emission.stream(), envelope(emission.event(), correlation, triggerEventId, source)));
        }
        return new StepPlan(
                List.copyOf(sagaEvents),
                List.copyOf(emissions),
                deadlines,
                step.cancelledDeadlines(),
                step.endReason().isPresent());
    }

    private static NewEvent envelope(
            NewEvent event, @Nullable UUID correlation, @Nullable UUID causation, String source) {
        NewEvent filled = event;
        if (filled.correlationId() == null && correlation != null) {
            filled = filled.withCorrelationId(correlation);
        }
        if (filled.causationId() == null && causation != null) {
            filled = filled.withCausationId(causation);
        }
        if (filled.source() == null) {
            filled = filled.withSource(source);
        }
        return filled;
    }

    /**
     * Folds the planned saga events into {@code instance} as if read back: the state the next event of the same
     * batch sees, before the append is committed and readable.
     */
    public <S> void foldInto(Saga<S> saga, Instance<S> instance, Instant now) {
        long version = instance.version();
        for (NewEvent event : sagaEvents) {
            version++;
            instance.replay(
                    saga,
                    new RecordedEvent(
                            instance.stream(),
                            version,
                            0,
                            event.eventId(),
                            event.type(),
                            event.data(),
                            event.metadata(),
                            event.correlationId(),
                            event.causationId(),
                            event.source(),
                            now));
        }
    }
}
