package io.nexus.sagas.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.sagas.Saga;
import io.nexus.sagas.Step;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SagaFixtureTest {
    @EventType("task.opened")
    record TaskOpened(String taskId) {}

    @EventType("task.closed")
    record TaskClosed(String taskId) {}

    @EventType("task.reminder")
    record Reminder(String taskId, int count) {}

    @EventType("reminder-saga.reminded")
    record Reminded(String taskId) {}

    /** Reminds an open task every hour until it is closed. State: the task id and how many reminders went out. */
    record State(String taskId, int reminders) {}

    static final class ReminderSaga implements Saga<State> {
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

    @Test
    void a_deadline_fires_when_the_clock_passes_it_and_not_before() {
        SagaFixture<State> fixture = SagaFixture.of(new ReminderSaga()).given(new TaskOpened("t-1"));

        SagaFixture.Result early = fixture.whenTimePasses(Duration.ofMinutes(59));
        SagaFixture.Result due = fixture.whenTimePasses(Duration.ofMinutes(1));

        assertThat(early.emitted()).isEmpty();
        assertThat(due.emittedData()).containsExactly(new Reminder("t-1", 1));
        assertThat(due.recordedTypes())
                .containsExactly("saga.deadline-fired", "reminder-saga.reminded", "saga.deadline-set");
        assertThat(fixture.state("t-1")).contains(new State("t-1", 2));
        assertThat(fixture.deadlines("t-1"))
                .containsEntry("remind", fixture.now().plus(Duration.ofHours(1)));
    }

    @Test
    void an_ended_instance_loses_its_deadlines_and_ignores_further_events() {
        SagaFixture<State> fixture = SagaFixture.of(new ReminderSaga()).given(new TaskOpened("t-2"));

        SagaFixture.Result closed = fixture.when(new TaskClosed("t-2"));
        SagaFixture.Result later = fixture.whenTimePasses(Duration.ofHours(3));
        SagaFixture.Result reopened = fixture.when(new TaskOpened("t-2"));

        assertThat(closed.endReasons()).containsExactly("closed");
        assertThat(closed.recordedTypes()).containsExactly("saga.ended");
        assertThat(fixture.deadlines("t-2")).isEmpty();
        assertThat(later.recorded()).isEmpty();
        assertThat(reopened.recorded()).isEmpty();
        assertThat(fixture.hasEnded("t-2")).isTrue();
    }

    @Test
    void an_event_that_does_not_start_the_saga_is_ignored_for_an_unknown_instance() {
        SagaFixture<State> fixture = SagaFixture.of(new ReminderSaga());

        SagaFixture.Result result = fixture.when(new TaskClosed("never-opened"));

        assertThat(result.recorded()).isEmpty();
        assertThat(fixture.state("never-opened")).isEmpty();
    }
}
