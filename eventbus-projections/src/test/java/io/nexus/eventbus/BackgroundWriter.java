package io.nexus.eventbus;

import io.nexus.eventstore.core.EventStore;
import java.util.concurrent.atomic.AtomicLong;

/** Appends events from a thread of its own until stopped, riding out failed appends (terminated connections). */
final class BackgroundWriter implements AutoCloseable {
    private final Thread thread;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean stopped;

    BackgroundWriter(EventStore store, String category, long pauseMillis) {
        thread = new Thread(
                () -> {
                    while (!stopped) {
                        try {
                            CountingProjection.append(store, category, 5, 5);
                            appended.addAndGet(5);
                        } catch (RuntimeException e) {
                            failures.incrementAndGet();
                        }
                        try {
                            Thread.sleep(pauseMillis);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "test-writer");
        thread.setDaemon(true);
        thread.start();
    }

    long appended() {
        return appended.get();
    }

    long failures() {
        return failures.get();
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(10_000);
    }
}
