package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

/**
 * The name of a durable subscription or a projection: its key in the {@code subscriptions} table, shared by both
 * kinds, so one name can belong to only one of them per schema.
 *
 * @param value the name: 1 to {@value #MAX_LENGTH} characters, not blank, no control characters
 */
public record SubscriptionName(String value) {
    /** The longest name accepted. */
    public static final int MAX_LENGTH = 200;

    /**
     * Checks the name.
     *
     * @param value the name: 1 to {@value #MAX_LENGTH} characters, not blank, no control characters
     * @throws IllegalArgumentException if the name is blank, too long or holds a control character, quoting it
     */
    public SubscriptionName {
        requireNonNull(value, "name");
        if (value.isBlank() || value.length() > MAX_LENGTH || value.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a subscription or projection name must be 1 to " + MAX_LENGTH
                    + " characters, not blank, without control characters; was '" + value + "'");
        }
    }

    /**
     * The name {@code value}, checked; see the record's rules.
     *
     * @param value the name: 1 to {@value #MAX_LENGTH} characters, not blank, no control characters
     * @return the name
     * @throws IllegalArgumentException if the name is blank, too long or holds a control character, quoting it
     */
    public static SubscriptionName of(String value) {
        return new SubscriptionName(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
