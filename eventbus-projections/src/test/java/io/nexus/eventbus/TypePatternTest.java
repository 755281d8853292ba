package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TypePatternTest {

    @ParameterizedTest(name = "''{0}'' matches ''{1}'': {2}")
    @CsvSource({
        "user.registered, user.registered, true",
        "user.registered, user.registered.v2, false",
        "user.registered, user, false",
        "*, user.registered, true",
        "*, x, true",
        "user.*, user.registered, true",
        "user.*, user.profile.changed, true",
        "user.*, user, false",
        "user.*, users.registered, false",
        "user.*, order.user.registered, false",
        "*.error, payment.error, true",
        "*.error, a.b.error, true",
        "*.error, error, false",
        "*.error, payment.errors, false",
        "*.error, payment.error.retried, false"
    })
    void each_form_matches_exactly_its_types(String pattern, String type, boolean matches) {
        assertThat(TypePattern.of(pattern).matches(type)).isEqualTo(matches);
    }

    @Test
    void each_form_is_parsed_to_its_variant_and_prints_back() {
        assertThat(TypePattern.of("user.registered")).isEqualTo(new TypePattern.Exact("user.registered"));
        assertThat(TypePattern.of("*")).isEqualTo(new TypePattern.AnyType());
        assertThat(TypePattern.of("user.*")).isEqualTo(new TypePattern.Prefix("user."));
        assertThat(TypePattern.of("*.error")).isEqualTo(new TypePattern.Suffix(".error"));
        assertThat(TypePattern.of("user.*").pattern()).isEqualTo("user.*");
        assertThat(TypePattern.of("*.error").pattern()).isEqualTo("*.error");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                " ",
                "user*",
                "*user",
                "user.*.changed",
                "**",
                "*.*",
                "user.**",
                ".*",
                "*.",
                "us er.*",
                "*.err or",
                "user.?",
                "user.* "
            })
    void a_malformed_pattern_is_refused_with_the_pattern_and_the_forms(String pattern) {
        assertThatThrownBy(() -> TypePattern.of(pattern))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + pattern + "'")
                .hasMessageContaining("'prefix.*' or '*.suffix'");
    }

    @Test
    void a_null_pattern_is_refused() {
        assertThatThrownBy(() -> TypePattern.of(null)).isInstanceOf(NullPointerException.class);
    }
}
