package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.time.Duration;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * The {@link HeadSource} over today's {@link StoreNotifications}: the process's shared LISTEN connection, polled
 * every flush interval, and told of heads by the store's own sequencer.
 */
public final class StoreHeadSource implements HeadSource {
    private final PostgresEventStore store;
    private final StoreNotifications notifications;
    private final LongConsumer headListener;

    private StoreHeadSource(PostgresEventStore store, DataSource dataSource, Duration pollInterval) {
        this.store = store;
        this.notifications = StoreNotifications.shared(dataSource, store.schema(), pollInterval);
        this.headListener = notifications::offer;
        store.addHeadListener(headListener);
    }

    /** Starts following {@code store}'s head, read at once so that {@link #knownHead()} is never unknown. */
    public static StoreHeadSource open(PostgresEventStore store, DataSource dataSource, Duration pollInterval) {
        StoreHeadSource source = new StoreHeadSource(
                requireNonNull(store, "store"), requireNonNull(dataSource, "dataSource"), pollInterval);
        try {
            source.notifications.offer(store.headPosition());
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        return source;
    }

    @Override
    public long knownHead() {
        return Math.max(0, notifications.knownHead());
    }

    @Override
    public long awaitHeadAbove(long position, Duration maxWait) throws InterruptedException {
        return Math.max(0, notifications.awaitHeadAbove(position, maxWait));
    }

    @Override
    public long reconnects() {
        return notifications.reconnects();
    }

    @Override
    public void close() {
        store.removeHeadListener(headListener);
        notifications.close();
    }
}
