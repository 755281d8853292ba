package io.nexus.eventstore.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SchemaNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"nexus", "_x", "a1_b2", "x"})
    void lower_case_letters_digits_and_underscores_not_starting_with_a_digit_are_accepted(String value) {
        assertThat(SchemaName.of(value).value()).isEqualTo(value);
        assertThat(SchemaName.of(value)).hasToString(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Upper", "1abc", "a-b", "a;drop", "a b", "\"x\"", "ä"})
    void anything_else_is_refused_quoting_the_value_and_the_rule(String value) {
        assertThatThrownBy(() -> SchemaName.of(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + value + "'")
                .hasMessageContaining("a-z, 0-9 and _");
    }

    @Test
    void the_longest_name_with_the_longest_suffix_fits_a_postgresql_identifier() {
        SchemaName longest = SchemaName.of("s".repeat(SchemaName.MAX_LENGTH));

        String derived = longest.withSuffix("_".repeat(SchemaName.MAX_SUFFIX_LENGTH));

        assertThat(derived.getBytes(StandardCharsets.UTF_8)).hasSize(63);
        assertThat(longest.withSuffix("_events")).endsWith("_events");
    }

    @Test
    void a_name_one_character_too_long_is_refused_with_the_limit() {
        String tooLong = "x".repeat(SchemaName.MAX_LENGTH + 1);

        assertThatThrownBy(() -> SchemaName.of(tooLong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 50 characters")
                .hasMessageContaining(tooLong);
    }

    @Test
    void a_suffix_that_would_overflow_63_bytes_or_inject_sql_is_refused() {
        SchemaName name = SchemaName.of("nexus");

        assertThatThrownBy(() -> name.withSuffix("_".repeat(SchemaName.MAX_SUFFIX_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 13 characters");
        assertThatThrownBy(() -> name.withSuffix("\"; drop"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'\"; drop'");
        assertThatThrownBy(() -> name.withSuffix("")).isInstanceOf(IllegalArgumentException.class);
    }
}
