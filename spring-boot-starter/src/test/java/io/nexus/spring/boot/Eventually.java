package io.nexus.spring.boot;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for what other threads (workers, handlers) do, failing the test when it does not happen in time. */
final class Eventually {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Eventually() {}

    static void until(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + TIMEOUT + ": " + what);
            }
            Thread.sleep(20);
        }
    }
}
