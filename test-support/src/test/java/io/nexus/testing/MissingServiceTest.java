package io.nexus.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class MissingServiceTest {

    @Test
    void outside_ci_a_missing_service_skips_the_test_with_the_reason() {
        Throwable thrown = catchThrowable(() -> MissingService.skipOrFail("nothing answers on 127.0.0.1:1", false));

        assertThat(thrown)
                .isInstanceOf(TestAbortedException.class)
                .hasMessage("skipped: nothing answers on 127.0.0.1:1");
    }

    @Test
    void under_ci_a_missing_service_fails_the_test_with_the_reason() {
        Throwable thrown = catchThrowable(() -> MissingService.skipOrFail("nothing answers on 127.0.0.1:1", true));

        assertThat(thrown)
                .isInstanceOf(AssertionFailedError.class)
                .hasMessage("CI is set, so this test must run, but nothing answers on 127.0.0.1:1");
    }
}
