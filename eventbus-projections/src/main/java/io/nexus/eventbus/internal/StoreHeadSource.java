package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.jdbc.HeadWatch;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.time.Duration;

/**
 * The {@link HeadSource} over the store's own {@link PostgresEventStore#watchHead head watch}: this module learns of
 * new heads only through the store, never through its SQL or its notification channel.
 */
public final class StoreHeadSource implements HeadSource {
    private final HeadWatch watch;

    private StoreHeadSource(HeadWatch watch) {
        this.watch = watch;
    }

    /**
     * Starts following {@code store}'s head and reads it once, so that {@link #knownHead()} is known at once (the
     * store's sequencer tells the watch) and a database that is down or unmigrated fails here with the store's typed
     * exception.
     */
    public static StoreHeadSource open(PostgresEventStore store, Duration pollInterval) {
        StoreHeadSource source =
                new StoreHeadSource(requireNonNull(store, "store").watchHead(pollInterval));
        try {
            store.headPosition();
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        return source;
    }

    @Override
    public long knownHead() {
        return Math.max(0, watch.knownHead());
    }

    @Override
    public long awaitHeadAbove(long position, Duration maxWait) throws InterruptedException {
        return Math.max(0, watch.awaitHeadAbove(position, maxWait));
    }

    @Override
    public long reconnects() {
        return watch.reconnects();
    }

    @Override
    public void close() {
        watch.close();
    }
}
