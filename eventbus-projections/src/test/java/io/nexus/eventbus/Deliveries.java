package io.nexus.eventbus;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

import io.nexus.eventstore.core.RecordedEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** A thread-safe listener that counts every delivery, duplicates included, and lets a test wait for distinct ids. */
final class Deliveries implements EventListener {
    private final List<RecordedEvent> all = new ArrayList<>();
    private final Set<UUID> distinct = new HashSet<>();

    @Override
    public synchronized void handle(RecordedEvent event) {
        all.add(event);
        distinct.add(event.eventId());
        notifyAll();
    }

    /** Waits until {@code count} distinct events arrived; fails after {@code timeout}. */
    synchronized void awaitDistinct(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (distinct.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(
                        "expected " + count + " distinct events within " + timeout + ", got " + distinct.size());
            }
            NANOSECONDS.timedWait(this, left);
        }
    }

    synchronized List<RecordedEvent> all() {
        return List.copyOf(all);
    }

    synchronized Set<UUID> distinctIds() {
        return Set.copyOf(distinct);
    }

    synchronized List<String> types() {
        List<String> types = new ArrayList<>();
        all.forEach(e -> types.add(e.type()));
        return types;
    }
}
