package io.nexus.eventstore.jdbc;

/**
 * Told how an {@link EventRetention} run advances, for a progress bar or a log: once before the first batch (with
 * nothing removed yet) and after each batch (transaction). Called on the thread running the retention, between
 * batches; it should return quickly, and an exception it throws ends the run (batches done stay done).
 */
@FunctionalInterface
public interface RetentionProgress {
    /** Ignores every report. */
    RetentionProgress NONE = (removed, expected) -> {};

    /**
     * Reports the events removed so far.
     *
     * @param removed how many events this run has removed so far
     * @param expected how many it expects to remove in all when it started: every matched event when forced, the
     *     matched events every consumer had processed otherwise (may be passed if consumers advance meanwhile)
     */
    void removed(long removed, long expected);
}
