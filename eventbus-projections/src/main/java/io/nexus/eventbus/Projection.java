package io.nexus.eventbus;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.RecordedEvent;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * A read model kept in PostgreSQL, fed from the store's global order by a {@link ProjectionDaemon}. Every method
 * that takes a {@link Handle} runs inside the daemon's transaction, which also advances the projection's checkpoint
 * with a compare-and-set: the read-model change and the checkpoint commit together or not at all, so each event
 * takes effect exactly once even when a worker is killed or a zombie worker wakes up after losing its lease.
 *
 * <pre>{@code
 * Projection orders = Projection.of("order-totals", EventFilter.categories("order"),
 *         (handle, event) -> handle.createUpdate("INSERT INTO order_totals ...").execute(),
 *         handle -> handle.execute("DELETE FROM order_totals"));
 * }</pre>
 *
 * <p>Rules for implementations: write only through the given handle (never commit, roll back or close it, and never
 * use another connection for the read model); throw to refuse a batch, which rolls it back and retries it later with
 * back-off. The daemon calls one projection from one thread at a time, so implementations need not be thread-safe
 * unless they share state with other code.
 */
public interface Projection {
    /**
     * The projection's name: its key in the {@code subscriptions} table, so it must stay stable across releases and
     * be unique among subscriptions and projections of the schema. 1 to {@value ProjectionDaemon#MAX_NAME_LENGTH}
     * characters, not blank.
     *
     * @return the name
     */
    String name();

    /** {@return which events {@link #apply} receives; default {@link EventFilter#ALL}} */
    default EventFilter filter() {
        return EventFilter.ALL;
    }

    /**
     * Applies one event to the read model, inside the daemon's transaction.
     *
     * @param handle the daemon's transaction; also writes the checkpoint
     * @param event the event
     */
    void apply(Handle handle, RecordedEvent event);

    /**
     * Applies a batch of events, oldest first, inside one transaction. Default: {@link #apply} for each; override to
     * use JDBC batches ({@link Handle#prepareBatch}) when throughput matters.
     *
     * @param handle the daemon's transaction; also writes the checkpoint
     * @param events the batch, oldest first, never empty
     */
    default void applyBatch(Handle handle, List<RecordedEvent> events) {
        for (RecordedEvent event : events) {
            apply(handle, event);
        }
    }

    /**
     * Clears the read model before a {@linkplain ProjectionDaemon#rebuild rebuild}, inside the transaction that also
     * resets the checkpoint to 0.
     *
     * @param handle the transaction that also resets the checkpoint
     */
    void reset(Handle handle);

    /** What {@link #of} calls for each event. */
    @FunctionalInterface
    interface Applier {
        /**
         * Applies {@code event} through {@code handle}.
         *
         * @param handle the daemon's transaction
         * @param event the event
         */
        void apply(Handle handle, RecordedEvent event);
    }

    /** What {@link #of} calls to clear the read model. */
    @FunctionalInterface
    interface Resetter {
        /**
         * Clears the read model through {@code handle}.
         *
         * @param handle the transaction that also resets the checkpoint
         */
        void reset(Handle handle);
    }

    /**
     * A projection made of a name, a filter and two lambdas.
     *
     * @param name the projection's name
     * @param filter which events it receives
     * @param applier applies each event
     * @param resetter clears the read model
     * @return the projection
     */
    static Projection of(String name, EventFilter filter, Applier applier, Resetter resetter) {
        SubscriptionName.of(name);
        java.util.Objects.requireNonNull(filter, "filter");
        java.util.Objects.requireNonNull(applier, "applier");
        java.util.Objects.requireNonNull(resetter, "resetter");
        return new Projection() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public EventFilter filter() {
                return filter;
            }

            @Override
            public void apply(Handle handle, RecordedEvent event) {
                applier.apply(handle, event);
            }

            @Override
            public void reset(Handle handle) {
                resetter.reset(handle);
            }
        };
    }
}
