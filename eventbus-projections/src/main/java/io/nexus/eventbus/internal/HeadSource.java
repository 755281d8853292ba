package io.nexus.eventbus.internal;

import java.time.Duration;

/**
 * The head of the store's global order, as the bus and the consumers see it: the one seam through which this module
 * learns of new heads, so that where heads come from can change in one place ({@link StoreHeadSource}).
 */
public interface HeadSource extends AutoCloseable {
    /** The latest head known: 0 for an empty store. */
    long knownHead();

    /**
     * Blocks until the known head is above {@code position} or {@code maxWait} has passed.
     *
     * @return the latest known head
     */
    long awaitHeadAbove(long position, Duration maxWait) throws InterruptedException;

    /** A count that changes whenever heads may have been missed (the wake-up connection was re-established). */
    long reconnects();

    /** Stops following the head. */
    @Override
    void close();
}
