package io.nexus.eventbus.redis;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Finds the test Redis (NEXUS_TEST_REDIS_URL, else the test is skipped) and waits for conditions. */
final class RedisTestSupport {
    private RedisTestSupport() {}

    static String redisUrl() {
        String url = System.getenv("NEXUS_TEST_REDIS_URL");
        assumeTrue(url != null && !url.isBlank(), "NEXUS_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)");
        return url;
    }

    static String uniqueKey(String what) {
        return "nexus-test:" + what + ":" + UUID.randomUUID();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
