package io.nexus.eventbus.relay;

import static org.assertj.core.api.Assertions.fail;

import io.nexus.testing.MissingService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The brokers the relay tests run against, with names unique to one test. Each is found in this order: the URL its
 * environment variable names (explicit beats detection); else the service's default local address, when something
 * answers there; else the test follows {@link MissingService}: skipped with what was tried, or failed under CI.
 */
public enum TestBroker {
    REDIS("NEXUS_TEST_REDIS_URL", "redis://127.0.0.1:6379", ":"),
    RABBITMQ("NEXUS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/", ".");

    /** A loopback connect is refused at once when nothing listens; this only bounds a filtered port. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private final String variable;
    private final URI defaultUrl;
    private final String separator;

    TestBroker(String variable, String defaultUrl, String separator) {
        this.variable = variable;
        this.defaultUrl = URI.create(defaultUrl);
        this.separator = separator;
    }

    /** The broker's URL; skips the test (fails it under CI) when no broker is named and none answers by default. */
    public String url() {
        return locate(System.getenv(variable), defaultUrl, MissingService.underCi());
    }

    /**
     * The locating rule, with its inputs given so that a test can point the default at a dead port.
     *
     * @param named the environment variable's value; a named broker is used as given, never probed, so one that is
     *     down fails the test rather than skipping it
     * @param fallback the address to try when none is named
     * @param ci whether a missing broker fails the test instead of skipping it
     * @return the URL to connect to
     */
    String locate(@Nullable String named, URI fallback, boolean ci) {
        if (named != null && !named.isBlank()) {
            return named;
        }
        if (answers(fallback)) {
            return fallback.toString();
        }
        return MissingService.skipOrFail(
                variable + " is not set and nothing answers on " + fallback.getHost() + ":" + fallback.getPort()
                        + " (tried the default " + fallback + "); start the broker there or set " + variable,
                ci);
    }

    private static boolean answers(URI address) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address.getHost(), address.getPort()), (int) PROBE_TIMEOUT.toMillis());
            return true;
        } catch (IOException nothingThere) {
            return false;
        }
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
