package io.nexus.eventstore.jdbc;

import java.time.Duration;

/**
 * Follows the head of a {@link PostgresEventStore}'s global order for a subscriber in this process: obtained from
 * {@link PostgresEventStore#watchHead(Duration)}, closed by the subscriber when it stops.
 *
 * <p>The head is learned three ways: at once from this process's own appends (the store's sequencer), from the
 * database's notification when another process's appends are ordered (see {@link HeadNotifications}), and by polling
 * every poll interval, which also orders commits that nobody ordered yet. Notifications are only a hint; the poll is
 * the guarantee. All watches of one store (and of stores sharing a {@code DataSource}, schema and {@link
 * HeadNotifications}) share one connection and one thread.
 *
 * <p>Thread-safe. A database that is down is retried with backoff and never reported through this interface: the
 * head just stops moving until it is back.
 */
public interface HeadWatch extends AutoCloseable {
    /** {@return the latest known head: 0 for an empty store, -1 while it has never been read} */
    long knownHead();

    /**
     * Blocks until the known head is greater than {@code position}, {@code maxWait} has passed, or this watch is
     * closed.
     *
     * @param position the position the head must pass
     * @param maxWait the longest wait
     * @return the latest known head (possibly still not above {@code position}; -1 while never read)
     * @throws InterruptedException if the calling thread is interrupted while it waits
     */
    long awaitHeadAbove(long position, Duration maxWait) throws InterruptedException;

    /**
     * {@return how often the listening connection was re-established after it was lost (or polling recovered after
     * the database was unreachable)} A subscriber may check what it read around such a gap; for tests and
     * diagnostics.
     */
    long reconnects();

    /**
     * {@return whether notifications are known to arrive} {@code false} with {@link HeadNotifications#pollOnly()},
     * before the starting LISTEN's probe came back, and after a LISTEN was found not to deliver (the watch then
     * polls).
     */
    boolean isListening();

    /** Stops this watch; its waiters return at once. The last watch of a shared tracker closes its connection. */
    @Override
    void close();
}
