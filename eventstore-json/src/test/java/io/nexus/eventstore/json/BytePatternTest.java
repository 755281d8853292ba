package io.nexus.eventstore.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BytePatternTest {
    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void finds_the_first_occurrence_at_or_after_the_start() {
        BytePattern mark = new BytePattern(ascii("\"nexus.encrypted\""));
        byte[] json = ascii("{\"a\":\"nexus.encrypted\",\"nexus.encrypted\":true,\"nexus.encrypted\":1}");

        assertThat(mark.indexIn(json, 0)).isEqualTo(5);
        assertThat(mark.indexIn(json, 6)).isEqualTo(23);
        assertThat(mark.indexIn(json, 24)).isEqualTo(46);
        assertThat(mark.indexIn(json, 47)).isEqualTo(-1);
    }

    @Test
    void finds_nothing_in_shorter_input_or_past_the_end() {
        BytePattern pattern = new BytePattern(ascii("abc"));

        assertThat(pattern.indexIn(ascii("ab"), 0)).isEqualTo(-1);
        assertThat(pattern.indexIn(ascii("abc"), 1)).isEqualTo(-1);
        assertThat(pattern.indexIn(ascii("abc"), 0)).isZero();
        assertThat(pattern.indexIn(new byte[0], 0)).isEqualTo(-1);
    }

    @Test
    void agrees_with_a_byte_by_byte_search_on_random_input() {
        Random random = new Random(42);
        for (int round = 0; round < 2_000; round++) {
            byte[] pattern = new byte[1 + random.nextInt(5)];
            byte[] bytes = new byte[random.nextInt(60)];
            fill(random, pattern);
            fill(random, bytes);
            int from = random.nextInt(5);

            assertThat(new BytePattern(pattern).indexIn(bytes, from))
                    .as("round %d", round)
                    .isEqualTo(naiveIndexOf(bytes, pattern, from));
        }
    }

    @Test
    void refuses_an_empty_pattern() {
        assertThatThrownBy(() -> new BytePattern(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    /** A small alphabet, bytes of both signs, so matches and near-matches are common. */
    private static void fill(Random random, byte[] bytes) {
        byte[] alphabet = {'a', 'b', '"', (byte) 0xC3, (byte) 0xA9};
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = alphabet[random.nextInt(alphabet.length)];
        }
    }

    private static int naiveIndexOf(byte[] bytes, byte[] part, int from) {
        outer:
        for (int i = from; i <= bytes.length - part.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
