package io.nexus.eventbus;

import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;

import io.nexus.eventstore.core.RecordedEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener that keeps what it receives and lets a test wait, with a deadline, until enough has arrived. It ignores
 * the marker events that tests emit to wait until a single-worker bus has dispatched everything before them.
 */
final class Recorder implements EventListener {
    static final String DRAIN_PREFIX = "test.drained.";

    private final List<RecordedEvent> events = new ArrayList<>();

    @Override
    public synchronized void handle(RecordedEvent event) {
        if (event.type().startsWith(DRAIN_PREFIX)) {
            return;
        }
        events.add(event);
        notifyAll();
    }

    /** Waits until at least {@code count} events arrived; fails after 10 seconds. */
    synchronized void awaitCount(int count) throws InterruptedException {
        long deadline = System.nanoTime() + SECONDS.toNanos(10);
        while (events.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(
                        "expected " + count + " events within 10 s, got " + events.size() + ": " + types());
            }
            NANOSECONDS.timedWait(this, left);
        }
    }

    synchronized List<RecordedEvent> events() {
        return List.copyOf(events);
    }

    synchronized List<String> types() {
        List<String> types = new ArrayList<>();
        for (RecordedEvent event : events) {
            types.add(event.type());
        }
        return types;
    }

    synchronized RecordedEvent single(String type) {
        List<RecordedEvent> matching = new ArrayList<>();
        for (RecordedEvent event : events) {
            if (event.type().equals(type)) {
                matching.add(event);
            }
        }
        if (matching.size() != 1) {
            throw new AssertionError("expected one event of type " + type + ", got " + matching.size());
        }
        return matching.get(0);
    }
}
