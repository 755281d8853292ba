package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.jdbc.internal.Sequencer;
import io.nexus.eventstore.jdbc.internal.StoreNotifications;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/** One subscriber's {@link HeadWatch}: a use of the shared tracker, fed directly by the store's own sequencer. */
final class StoreHeadWatch implements HeadWatch {
    private final StoreNotifications tracker;
    private final Sequencer sequencer;
    private final LongConsumer sequenced;
    private final Consumer<StoreHeadWatch> onClose;
    private volatile boolean closed;

    StoreHeadWatch(StoreNotifications tracker, Sequencer sequencer, Consumer<StoreHeadWatch> onClose) {
        this.tracker = tracker;
        this.sequencer = sequencer;
        this.sequenced = tracker::offer;
        this.onClose = onClose;
        sequencer.addHeadListener(sequenced);
    }

    @Override
    public long knownHead() {
        return tracker.knownHead();
    }

    @Override
    public long awaitHeadAbove(long position, Duration maxWait) throws InterruptedException {
        return tracker.awaitHeadAbove(position, requireNonNull(maxWait, "maxWait"), () -> closed);
    }

    @Override
    public long reconnects() {
        return tracker.reconnects();
    }

    @Override
    public boolean isListening() {
        return tracker.isListening();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        sequencer.removeHeadListener(sequenced);
        tracker.wake();
        tracker.close();
        onClose.accept(this);
    }
}
