package io.nexus.eventbus;

/**
 * A running durable subscription of a {@link PostgresEventBus}: a named reader of the store's global order whose
 * checkpoint lives in the {@code subscriptions} table. Closing it stops this process's consumer and releases its
 * lease; the checkpoint and dead letters stay, and a later subscription with the same name resumes from them.
 *
 * <p>Thread-safe.
 */
public interface DurableSubscription extends AutoCloseable {
    /** {@return the subscription's name, unique in the store's schema} */
    String name();

    /**
     * The last global position this process knows to be handled (0 before the first event); the stored checkpoint may
     * be a batch behind.
     *
     * @return the position, at most the store's head
     */
    long position();

    /** {@return whether this process currently holds the subscription's lease, that is, is its one active consumer} */
    boolean isActive();

    /** Stops consuming and releases the lease so that another process can take over at once. Idempotent. */
    @Override
    void close();
}
