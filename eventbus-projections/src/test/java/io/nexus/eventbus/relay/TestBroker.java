package io.nexus.eventbus.relay;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * The brokers the relay tests run against: each found through an environment variable (the test is skipped when it is
 * unset), with names unique to one test.
 */
public enum TestBroker {
    REDIS("NEXUS_TEST_REDIS_URL", "redis://127.0.0.1:6379", ":"),
    RABBITMQ("NEXUS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/", ".");

    private final String variable;
    private final String example;
    private final String separator;

    TestBroker(String variable, String example, String separator) {
        this.variable = variable;
        this.example = example;
        this.separator = separator;
    }

    /** The broker's URL; skips the test if its variable is unset. */
    public String url() {
        String url = System.getenv(variable);
        assumeTrue(url != null && !url.isBlank(), variable + " is not set (e.g. " + example + ")");
        return url;
    }

    /** A stream key, exchange or queue name no other test uses, in the broker's naming style. */
    public String uniqueName(String what) {
        return "nexus-test" + separator + what + separator + UUID.randomUUID();
    }

    /** Polls {@code condition} every 20 ms until it holds; fails the test after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
