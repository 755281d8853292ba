package io.nexus.eventstore.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetadataJsonTest {
    private static Map<String, String> parse(String json) throws IOException {
        return MetadataJson.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void the_text_jsonb_prints_reads_as_a_map() throws IOException {
        assertThat(parse("{\"a\": \"x\", \"bb\": \"y\\u00e9\\\"\"}")).isEqualTo(Map.of("a", "x", "bb", "yé\""));
        assertThat(parse(" { } ")).isEmpty();
        assertThat(parse("{\"k\":\"v\"}")).isEqualTo(Map.of("k", "v"));
        assertThat(parse("{\"emoji\": \"\\ud83d\\ude00 😀\"}")).isEqualTo(Map.of("emoji", "😀 😀"));
    }

    @Test
    void anything_but_a_flat_object_of_strings_is_refused_naming_what_was_found() {
        assertThatThrownBy(() -> parse("{\"a\": 1}"))
                .isInstanceOf(IOException.class)
                .hasMessage("expected a string value at byte 6, found '1'");
        assertThatThrownBy(() -> parse("{\"a\": {\"b\": \"c\"}}")).hasMessageContaining("expected a string value");
        assertThatThrownBy(() -> parse("[\"a\"]")).hasMessage("expected '{' at byte 0, found '['");
        assertThatThrownBy(() -> parse("{\"a\": \"x\"} {}")).hasMessageContaining("expected the end of the document");
        assertThatThrownBy(() -> parse("{\"a\": \"x\" \"b\": \"y\"}")).hasMessageContaining("expected ',' or '}'");
        assertThatThrownBy(() -> parse("{\"a\": \"x")).hasMessageContaining("unterminated string");
        assertThatThrownBy(() -> parse("{\"a\": \"\\q\"}")).hasMessageContaining("invalid escape '\\q'");
        assertThatThrownBy(() -> parse("{\"a\": \"\\u12\"}")).hasMessageContaining("\\u escape");
        assertThatThrownBy(() -> parse("")).hasMessage("expected '{' at byte 0, found the end");
    }
}
