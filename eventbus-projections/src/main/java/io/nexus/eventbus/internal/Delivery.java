package io.nexus.eventbus.internal;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.RecordedEvent;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * How a {@link CheckpointedConsumer} hands a batch over: the one thing durable subscriptions, projections (and sagas)
 * do differently. For each batch read after the checkpoint, the consumer calls {@link #deliver} outside any
 * transaction, then opens the checkpoint's transaction, runs the fenced compare-and-set first and {@link
 * #applyInTransaction} after it, and commits both together. Either step may throw to refuse the batch: the
 * transaction rolls back and the batch is retried with back-off from the same checkpoint.
 *
 * <p>Callbacks run on one thread at a time per consumer.
 */
public interface Delivery {
    /** Which events the consumer reads; events it skips still advance the checkpoint. */
    EventFilter filter();

    /**
     * Delivers {@code batch} outside a transaction (at-least-once), for strategies that deliver one event at a time.
     * Default: nothing, all delivered.
     *
     * @return the position up to which the batch was handled (the last event's when all were; less when the consumer
     *     was closed meanwhile), or -1 when the lease was lost and nothing may be committed
     */
    default long deliver(List<RecordedEvent> batch, CheckpointedConsumer consumer) {
        return batch.isEmpty() ? 0 : batch.get(batch.size() - 1).position();
    }

    /**
     * Applies {@code batch} in the checkpoint's own transaction, after its compare-and-set succeeded: the effect and
     * the checkpoint commit together (exactly-once effect). Never commit, roll back or close {@code handle}.
     * Default: nothing.
     */
    default void applyInTransaction(Handle handle, List<RecordedEvent> batch) {}

    /** Work waiting for the next turn besides new events (re-deliveries). Default: none. */
    default boolean hasPendingWork() {
        return false;
    }

    /** Runs the pending work at the start of a turn; false when the lease was lost meanwhile. Default: true. */
    default boolean runPendingWork(CheckpointedConsumer consumer) {
        return true;
    }

    /** The consumer took the lease with {@code fencingToken}, or ({@code owned} false) no longer holds it. */
    default void onOwnershipChanged(boolean owned, long fencingToken) {}

    /** The batch {@code events} committed: the checkpoint is {@code checkpoint} now, in {@code status}. */
    default void onCommitted(long checkpoint, long head, List<RecordedEvent> events, long nanos, String status) {}

    /** A batch after {@code checkpoint} failed and rolled back; it is retried after {@code retryMillis}. */
    default void onFailure(long checkpoint, RuntimeException error, long retryMillis) {}

    /** Retention removed {@code count} events in positions {@code from..to} before they were delivered. */
    default void onRemovedEvents(long from, long to, long count) {}

    /** The consumer stopped for good; pending work must be failed. Default: nothing. */
    default void onClosed() {}
}
