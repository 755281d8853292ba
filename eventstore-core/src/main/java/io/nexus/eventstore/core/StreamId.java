package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

/**
 * The id of a stream, such as {@code order-42}. The part before the first {@code -} is the stream's category.
 *
 * <p>A stream id is 1 to {@value #MAX_LENGTH} characters, has no leading or trailing whitespace and contains no
 * control characters. Violations throw {@link IllegalArgumentException} naming the value and the rule.
 */
public record StreamId(String value) {
    /** The longest stream id accepted, in characters. */
    public static final int MAX_LENGTH = 200;

    /**
     * Checks the id: not blank, at most {@link #MAX_LENGTH} characters, no surrounding whitespace, no control
     * characters.
     *
     * @param value the whole id, such as {@code order-42}
     * @throws IllegalArgumentException naming the rule the id breaks
     */
    public StreamId {
        requireNonNull(value, "stream id");
        if (value.isBlank()) {
            throw new IllegalArgumentException("stream id must not be blank, was '" + value + "'");
        }
        if (value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("stream id must be at most " + MAX_LENGTH + " characters, was "
                    + value.length() + " ('" + value.substring(0, 20) + "...')");
        }
        if (!value.strip().equals(value)) {
            throw new IllegalArgumentException("stream id must not start or end with whitespace, was '" + value + "'");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException("stream id must not contain control characters, found U+"
                        + String.format("%04X", (int) c) + " at index " + i);
            }
        }
    }

    /**
     * Returns the stream id for {@code value}; see the class comment for the rules.
     *
     * @param value the whole id, such as {@code order-42}
     * @return the stream id
     * @throws IllegalArgumentException naming the rule the id breaks
     */
    public static StreamId of(String value) {
        return new StreamId(value);
    }

    /**
     * Returns the stream id {@code category-id}, for example {@code of("order", "42")} is {@code order-42}.
     *
     * @param category the category, the part before the first {@code -}
     * @param id the rest, turned into text with {@code toString()}
     * @return the stream id
     * @throws IllegalArgumentException naming the rule the id breaks
     */
    public static StreamId of(String category, Object id) {
        return new StreamId(category + "-" + id);
    }

    /** {@return the part before the first {@code -}, or the whole id when it has none} */
    public String category() {
        int dash = value.indexOf('-');
        return dash < 0 ? value : value.substring(0, dash);
    }

    @Override
    public String toString() {
        return value;
    }
}
