package io.nexus.eventbus.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** How a relay test finds its broker: the named URL, else the default address if it answers, else skip (CI: fail). */
class TestBrokerTest {

    @Test
    void a_named_broker_is_used_as_given_without_trying_the_default() throws IOException {
        URI dead = URI.create("redis://127.0.0.1:" + deadPort());

        String url = TestBroker.REDIS.locate("redis://broker.example:6380", dead, false);

        assertThat(url).isEqualTo("redis://broker.example:6380");
    }

    @Test
    void without_a_name_the_default_address_is_used_when_something_answers_there() throws IOException {
        try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            URI live = URI.create("amqp://guest:guest@127.0.0.1:" + listening.getLocalPort() + "/");

            String url = TestBroker.RABBITMQ.locate(null, live, false);

            assertThat(url).isEqualTo(live.toString());
        }
    }

    @Test
    void a_default_address_where_nothing_answers_skips_the_test_saying_what_was_tried() throws IOException {
        int port = deadPort();

        Throwable thrown =
                catchThrowable(() -> TestBroker.REDIS.locate("  ", URI.create("redis://127.0.0.1:" + port), false));

        assertThat(thrown)
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("NEXUS_TEST_REDIS_URL is not set")
                .hasMessageContaining("nothing answers on 127.0.0.1:" + port)
                .hasMessageContaining("tried the default redis://127.0.0.1:" + port);
    }

    @Test
    void under_ci_a_default_address_where_nothing_answers_fails_the_test() throws IOException {
        int port = deadPort();

        Throwable thrown = catchThrowable(
                () -> TestBroker.RABBITMQ.locate(null, URI.create("amqp://guest:guest@127.0.0.1:" + port + "/"), true));

        assertThat(thrown)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("CI is set")
                .hasMessageContaining("NEXUS_TEST_RABBITMQ_URL is not set and nothing answers on 127.0.0.1:" + port);
    }

    /** A loopback port that was free a moment ago and has nothing listening on it now. */
    private static int deadPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
