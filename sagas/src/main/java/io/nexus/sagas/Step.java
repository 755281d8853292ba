package io.nexus.sagas;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a saga instance does on one event or deadline: events it records in its own stream (its new state), events or
 * commands it emits to other streams, deadlines it sets or cancels, and whether it ends. A worker commits all of it
 * together with its checkpoint, in one transaction. Immutable: every method returns a new step.
 *
 * <pre>{@code
 * Step.record(new PaymentAwaited(orderId))
 *     .emit(StreamId.of("payment", orderId), new PaymentRequested(orderId, amount))
 *     .setDeadline("payment", Duration.ofMinutes(15));
 * }</pre>
 *
 * <p>An event is given either as a {@link NewEvent} or as a payload whose class carries {@link
 * io.nexus.eventstore.core.EventType}. The worker fills in what the envelope leaves empty: the correlation id (the
 * handled event's, else the instance's), the causation id (the handled event's id) and the source (the worker).
 */
public final class Step {
    /** An event for another stream, appended with {@link io.nexus.eventstore.core.ExpectedVersion#any()}. */
    public record Emission(StreamId stream, NewEvent event) {
        /**
         * Checks both parts.
         *
         * @param stream the stream to append to
         * @param event the event
         */
        public Emission {
            requireNonNull(stream, "stream");
            requireNonNull(event, "event");
        }
    }

    private static final Step NONE = new Step(List.of(), List.of(), Map.of(), Map.of(), Set.of(), null);

    private final List<NewEvent> records;
    private final List<Emission> emissions;
    private final Map<String, Duration> deadlinesAfter;
    private final Map<String, Instant> deadlinesAt;
    private final Set<String> cancelledDeadlines;
    private final @Nullable String endReason;

    private Step(
            List<NewEvent> records,
            List<Emission> emissions,
            Map<String, Duration> deadlinesAfter,
            Map<String, Instant> deadlinesAt,
            Set<String> cancelledDeadlines,
            @Nullable String endReason) {
        this.records = records;
        this.emissions = emissions;
        this.deadlinesAfter = deadlinesAfter;
        this.deadlinesAt = deadlinesAt;
        this.cancelledDeadlines = cancelledDeadlines;
        this.endReason = endReason;
    }

    /**
     * A step that does nothing: the event is handled and the instance carries on unchanged.
     *
     * @return the empty step
     */
    public static Step none() {
        return NONE;
    }

    /**
     * A step that records {@code sagaEvents} in the instance's stream.
     *
     * @param sagaEvents {@link NewEvent}s or payloads whose class carries {@code @EventType}
     * @return the step
     * @throws IllegalArgumentException if a payload's class has no {@code @EventType}
     */
    public static Step record(Object... sagaEvents) {
        return NONE.andRecord(sagaEvents);
    }

    /**
     * Records {@code sagaEvents} too, after those already in this step.
     *
     * @param sagaEvents {@link NewEvent}s or payloads whose class carries {@code @EventType}
     * @return a new step
     * @throws IllegalArgumentException if a payload's class has no {@code @EventType}
     */
    public Step andRecord(Object... sagaEvents) {
        List<NewEvent> more = new ArrayList<>(records);
        for (Object event : sagaEvents) {
            more.add(toEvent(event));
        }
        return new Step(List.copyOf(more), emissions, deadlinesAfter, deadlinesAt, cancelledDeadlines, endReason);
    }

    /**
     * Emits {@code event} to {@code stream} (an event, or a command for another component to act on).
     *
     * @param stream the stream to append to
     * @param event a {@link NewEvent} or a payload whose class carries {@code @EventType}
     * @return a new step
     * @throws IllegalArgumentException if a payload's class has no {@code @EventType}
     */
    public Step emit(StreamId stream, Object event) {
        List<Emission> more = new ArrayList<>(emissions);
        more.add(new Emission(stream, toEvent(event)));
        return new Step(records, List.copyOf(more), deadlinesAfter, deadlinesAt, cancelledDeadlines, endReason);
    }

    /**
     * Sets the deadline {@code name} to fire {@code after} from now (the worker's clock); replaces one of the same
     * name. When due, the worker calls {@link Saga#onDeadline}.
     *
     * @param name the deadline's name, 1 to 100 characters
     * @param after how long from now, not negative
     * @return a new step
     * @throws IllegalArgumentException if the name is blank or too long, or {@code after} negative
     */
    public Step setDeadline(String name, Duration after) {
        checkDeadlineName(name);
        requireNonNull(after, "after");
        if (after.isNegative()) {
            throw new IllegalArgumentException("deadline '" + name + "' must not be in the past, was " + after);
        }
        Map<String, Duration> more = new LinkedHashMap<>(deadlinesAfter);
        more.put(name, after);
        Map<String, Instant> at = new LinkedHashMap<>(deadlinesAt);
        at.remove(name);
        return new Step(records, emissions, Map.copyOf(more), Map.copyOf(at), without(name), endReason);
    }

    /**
     * Sets the deadline {@code name} to fire at {@code at}; replaces one of the same name.
     *
     * @param name the deadline's name, 1 to 100 characters
     * @param at when it is due
     * @return a new step
     * @throws IllegalArgumentException if the name is blank or too long
     */
    public Step setDeadlineAt(String name, Instant at) {
        checkDeadlineName(name);
        requireNonNull(at, "at");
        Map<String, Instant> more = new LinkedHashMap<>(deadlinesAt);
        more.put(name, at);
        Map<String, Duration> after = new LinkedHashMap<>(deadlinesAfter);
        after.remove(name);
        return new Step(records, emissions, Map.copyOf(after), Map.copyOf(more), without(name), endReason);
    }

    /**
     * Cancels the deadline {@code name}, if set.
     *
     * @param name the deadline's name
     * @return a new step
     * @throws IllegalArgumentException if the name is blank or too long
     */
    public Step cancelDeadline(String name) {
        checkDeadlineName(name);
        Map<String, Duration> after = new LinkedHashMap<>(deadlinesAfter);
        after.remove(name);
        Map<String, Instant> at = new LinkedHashMap<>(deadlinesAt);
        at.remove(name);
        Set<String> cancelled = new LinkedHashSet<>(cancelledDeadlines);
        cancelled.add(name);
        return new Step(records, emissions, Map.copyOf(after), Map.copyOf(at), Set.copyOf(cancelled), endReason);
    }

    /**
     * Ends the instance: the worker records {@code saga.ended} with {@code reason}, cancels its deadlines, and the
     * instance receives no further events.
     *
     * @param reason why it ended, such as {@code completed} or {@code cancelled}
     * @return a new step
     * @throws IllegalArgumentException if the reason is blank
     */
    public Step end(String reason) {
        requireNonNull(reason, "reason");
        if (reason.isBlank()) {
            throw new IllegalArgumentException("the end reason must not be blank");
        }
        return new Step(records, emissions, deadlinesAfter, deadlinesAt, cancelledDeadlines, reason);
    }

    /** {@return the events to record in the instance's stream, in order} */
    public List<NewEvent> records() {
        return records;
    }

    /** {@return the events to emit to other streams, in order} */
    public List<Emission> emissions() {
        return emissions;
    }

    /**
     * The deadlines this step sets, each with when it is due.
     *
     * @param now the worker's clock at the step
     * @return deadline name to due time
     */
    public Map<String, Instant> deadlines(Instant now) {
        Map<String, Instant> due = new LinkedHashMap<>(deadlinesAt);
        deadlinesAfter.forEach((name, after) -> due.put(name, now.plus(after)));
        return Map.copyOf(due);
    }

    /** {@return the deadlines this step cancels} */
    public Set<String> cancelledDeadlines() {
        return cancelledDeadlines;
    }

    /** {@return why the instance ends with this step, or empty when it goes on} */
    public Optional<String> endReason() {
        return Optional.ofNullable(endReason);
    }

    @Override
    public String toString() {
        return "Step[records=" + records.size() + ", emissions=" + emissions.size() + ", deadlines="
                + deadlinesAfter.keySet() + deadlinesAt.keySet() + ", cancelled=" + cancelledDeadlines + ", end="
                + endReason + "]";
    }

    private Set<String> without(String name) {
        Set<String> cancelled = new LinkedHashSet<>(cancelledDeadlines);
        cancelled.remove(name);
        return Set.copyOf(cancelled);
    }

    private static NewEvent toEvent(Object event) {
        requireNonNull(event, "event");
        return event instanceof NewEvent newEvent ? newEvent : NewEvent.of(event);
    }

    static void checkDeadlineName(String name) {
        requireNonNull(name, "deadline name");
        if (name.isBlank() || name.length() > 100) {
            throw new IllegalArgumentException(
                    "a deadline name must be 1 to 100 characters, not blank; was '" + name + "'");
        }
    }
}
