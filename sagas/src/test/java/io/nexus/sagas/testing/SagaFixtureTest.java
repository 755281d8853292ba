package io.nexus.sagas.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.sagas.ReminderSaga;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SagaFixtureTest {
    @Test
    void a_deadline_fires_when_the_clock_passes_it_and_not_before() {
        SagaFixture<ReminderSaga.State> fixture =
                SagaFixture.of(new ReminderSaga()).given(new ReminderSaga.TaskOpened("t-1"));

        SagaFixture.Result early = fixture.whenTimePasses(Duration.ofMinutes(59));
        SagaFixture.Result due = fixture.whenTimePasses(Duration.ofMinutes(1));

        assertThat(early.emitted()).isEmpty();
        assertThat(due.emittedData()).containsExactly(new ReminderSaga.Reminder("t-1", 1));
        assertThat(due.recordedTypes())
                .containsExactly("saga.deadline-fired", "reminder-saga.reminded", "saga.deadline-set");
        assertThat(fixture.state("t-1")).contains(new ReminderSaga.State("t-1", 2));
        assertThat(fixture.deadlines("t-1"))
                .containsEntry("remind", fixture.now().plus(Duration.ofHours(1)));
    }

    @Test
    void an_ended_instance_loses_its_deadlines_and_ignores_further_events() {
        SagaFixture<ReminderSaga.State> fixture =
                SagaFixture.of(new ReminderSaga()).given(new ReminderSaga.TaskOpened("t-2"));

        SagaFixture.Result closed = fixture.when(new ReminderSaga.TaskClosed("t-2"));
        SagaFixture.Result later = fixture.whenTimePasses(Duration.ofHours(3));
        SagaFixture.Result reopened = fixture.when(new ReminderSaga.TaskOpened("t-2"));

        assertThat(closed.endReasons()).containsExactly("closed");
        assertThat(closed.recordedTypes()).containsExactly("saga.ended");
        assertThat(fixture.deadlines("t-2")).isEmpty();
        assertThat(later.recorded()).isEmpty();
        assertThat(reopened.recorded()).isEmpty();
        assertThat(fixture.hasEnded("t-2")).isTrue();
    }

    @Test
    void an_event_that_does_not_start_the_saga_is_ignored_for_an_unknown_instance() {
        SagaFixture<ReminderSaga.State> fixture = SagaFixture.of(new ReminderSaga());

        SagaFixture.Result result = fixture.when(new ReminderSaga.TaskClosed("never-opened"));

        assertThat(result.recorded()).isEmpty();
        assertThat(fixture.state("never-opened")).isEmpty();
    }
}
