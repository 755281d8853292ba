package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * The sequencer of a {@link PostgresEventStore} as {@link PostgresEventStore#sequencerStatus()} reads it, without
 * running it: the head it last gave, and whether committed events are waiting for a position.
 *
 * @param head the last global position the sequencer gave (0 before the first)
 * @param oldestUnsequenced how long the oldest committed event without a position has waited, counted from its
 *     transaction's start; empty when every committed event has one. A value beyond a second or so, with a process
 *     running the store, means the sequencer is stuck, and no subscriber sees that event or anything after it.
 */
public record SequencerStatus(long head, Optional<Duration> oldestUnsequenced) {
    /**
     * Checks the components.
     *
     * @param head the last global position given
     * @param oldestUnsequenced how long the oldest unsequenced event has waited, or empty
     * @throws IllegalArgumentException if {@code head} is negative
     */
    public SequencerStatus {
        if (head < 0) {
            throw new IllegalArgumentException("head must be >= 0, was " + head);
        }
        requireNonNull(oldestUnsequenced, "oldestUnsequenced");
    }
}
