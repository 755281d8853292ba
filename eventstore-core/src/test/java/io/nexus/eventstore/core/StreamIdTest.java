package io.nexus.eventstore.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamIdTest {

    @Test
    void the_category_is_the_part_before_the_first_dash() {
        assertThat(StreamId.of("order-42-a").category()).isEqualTo("order");
        assertThat(StreamId.of("order", 42).value()).isEqualTo("order-42");
        assertThat(StreamId.of("singleton").category()).isEqualTo("singleton");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t"})
    void a_blank_stream_id_is_refused(String value) {
        assertThatThrownBy(() -> StreamId.of(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
    }

    @Test
    void an_over_long_stream_id_is_refused_with_its_length() {
        String longest = "x".repeat(StreamId.MAX_LENGTH);

        assertThat(StreamId.of(longest).value()).hasSize(200);
        assertThatThrownBy(() -> StreamId.of(longest + "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 200")
                .hasMessageContaining("201");
    }

    @Test
    void control_characters_and_outer_whitespace_are_refused() {
        assertThatThrownBy(() -> StreamId.of("order-\u000042"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("U+0000");
        assertThatThrownBy(() -> StreamId.of("order-\n42"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("control");
        assertThatThrownBy(() -> StreamId.of(" order-42"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("whitespace");
        assertThatThrownBy(() -> StreamId.of(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void a_negative_exact_version_is_refused() {
        assertThatThrownBy(() -> ExpectedVersion.exactly(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void type_names_are_checked_and_registered_one_to_one() {
        assertThatThrownBy(() -> NewEvent.of("has space", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'has space'");
        assertThatThrownBy(() -> NewEvent.of(new Object()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("@EventType");
        assertThatThrownBy(() ->
                        EventTypeRegistry.builder().register("a", String.class).register("a", Integer.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already registered");
    }
}
