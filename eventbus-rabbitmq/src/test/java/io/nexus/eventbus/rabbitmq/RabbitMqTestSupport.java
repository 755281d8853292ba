package io.nexus.eventbus.rabbitmq;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Finds the test broker (NEXUS_TEST_RABBITMQ_URL, else the test is skipped) and waits for conditions. */
final class RabbitMqTestSupport {
    private RabbitMqTestSupport() {}

    static String rabbitMqUrl() {
        String url = System.getenv("NEXUS_TEST_RABBITMQ_URL");
        assumeTrue(
                url != null && !url.isBlank(),
                "NEXUS_TEST_RABBITMQ_URL is not set (e.g. amqp://guest:guest@127.0.0.1:5672/)");
        return url;
    }

    static String uniqueName(String what) {
        return "nexus-test." + what + "." + UUID.randomUUID();
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
