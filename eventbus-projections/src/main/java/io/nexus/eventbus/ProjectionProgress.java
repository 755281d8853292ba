package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

/**
 * Where a projection stands. During a rebuild, {@code checkpoint} is how far the replay got and {@code head} the
 * total to replay (it grows while events keep arriving).
 *
 * @param projection the projection's name
 * @param status its status
 * @param checkpoint the global position of the last event it processed (0 for none)
 * @param head the head of the global order when this was observed
 */
public record ProjectionProgress(String projection, ProjectionStatus status, long checkpoint, long head) {
    /**
     * Checks the components: a name and a status, positions not negative.
     *
     * @param projection the projection's name
     * @param status its status
     * @param checkpoint the global position of the last event it processed (0 for none)
     * @param head the head of the global order when this was observed
     * @throws IllegalArgumentException if a position is negative
     */
    public ProjectionProgress {
        requireNonNull(projection, "projection");
        requireNonNull(status, "status");
        if (checkpoint < 0 || head < 0) {
            throw new IllegalArgumentException("checkpoint and head must be >= 0, were " + checkpoint + " and " + head);
        }
    }

    /** {@return how many positions the projection is behind the head; never negative} */
    public long lag() {
        return Math.max(0, head - checkpoint);
    }

    /** {@return the share of the head processed, from 0.0 to 1.0 (1.0 for an empty store)} */
    public double fraction() {
        return head == 0 ? 1.0 : Math.min(1.0, (double) checkpoint / head);
    }
}
