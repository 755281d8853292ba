package io.nexus.sagas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StepTest {

    @Test
    void a_payload_without_an_event_type_is_refused_naming_its_class() {
        assertThatThrownBy(() -> Step.record("no annotation"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("String");
    }

    @Test
    void a_deadline_in_the_past_or_with_a_blank_name_is_refused() {
        assertThatThrownBy(() -> Step.none().setDeadline("payment", Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("payment");
        assertThatThrownBy(() -> Step.none().setDeadline(" ", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deadline name");
    }

    @Test
    void setting_a_deadline_after_cancelling_it_keeps_it_and_the_last_setting_wins() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        Step step = Step.none()
                .cancelDeadline("payment")
                .setDeadline("payment", Duration.ofMinutes(1))
                .setDeadlineAt("payment", now.plusSeconds(5));

        assertThat(step.cancelledDeadlines()).isEmpty();
        assertThat(step.deadlines(now)).containsExactlyEntriesOf(java.util.Map.of("payment", now.plusSeconds(5)));
    }

    @Test
    void a_step_is_immutable() {
        Step none = Step.none();

        Step ended = none.end("done");

        assertThat(none.endReason()).isEmpty();
        assertThat(ended.endReason()).contains("done");
    }
}
