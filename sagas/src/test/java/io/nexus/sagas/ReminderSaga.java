package io.nexus.sagas;

import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** A test saga: reminds an open task every hour until it is closed; its state counts the reminders recorded. */
public final class ReminderSaga implements Saga<ReminderSaga.State> {
    @EventType("task.opened")
    public record TaskOpened(String taskId) {}

    @EventType("task.closed")
    public record TaskClosed(String taskId) {}

    @EventType("task.reminder")
    public record Reminder(String taskId, int count) {}

    @EventType("reminder-saga.reminded")
    public record Reminded(String taskId) {}

    /**
     * The state.
     *
     * @param taskId the task
     * @param reminders how many reminders were recorded
     */
    public record State(String taskId, int reminders) {}

    /** {@return the registry of the saga's event classes} */
    public static EventTypeRegistry types() {
        return EventTypeRegistry.builder()
                .register(TaskOpened.class, TaskClosed.class, Reminder.class, Reminded.class)
                .unknownTypesAsRawJson()
                .build();
    }

    @Override
    public String type() {
        return "reminder";
    }

    @Override
    public Set<String> startedBy() {
        return Set.of("task.opened");
    }

    @Override
    public Set<String> handles() {
        return Set.of("task.closed");
    }

    @Override
    public Optional<String> associationId(RecordedEvent event) {
        Object data = event.data();
        return Optional.of(data instanceof TaskOpened o ? o.taskId() : ((TaskClosed) data).taskId());
    }

    @Override
    public State initialState() {
        return new State("", 0);
    }

    @Override
    public State evolve(State state, RecordedEvent sagaEvent) {
        return new State(sagaEvent.dataAs(Reminded.class).taskId(), state.reminders() + 1);
    }

    @Override
    public Step on(State state, RecordedEvent event) {
        if (event.data() instanceof TaskOpened opened) {
            return Step.none().setDeadline("remind", Duration.ofHours(1)).andRecord(new Reminded(opened.taskId()));
        }
        return Step.none().end("closed");
    }

    @Override
    public Step onDeadline(State state, String deadline) {
        return Step.record(new Reminded(state.taskId()))
                .emit(StreamId.of("task", state.taskId()), new Reminder(state.taskId(), state.reminders()))
                .setDeadline("remind", Duration.ofHours(1));
    }
}
