package io.nexus.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for a test whose outside service is not there (a broker on its port, the pgbouncer binary): under CI,
 * which must run every test and says so by setting the {@code CI} environment variable ({@code .ci/run} does), the
 * test fails; anywhere else it is reported skipped with the reason. Never a silent pass.
 */
public final class MissingService {
    private MissingService() {}

    /**
     * Whether this JVM runs under CI, where a missing service fails the test instead of skipping it.
     *
     * @return {@code true} when the {@code CI} environment variable is set
     */
    public static boolean underCi() {
        return System.getenv("CI") != null;
    }

    /**
     * Ends the calling test because a service it needs is missing: fails it under {@link #underCi() CI}, skips it
     * elsewhere.
     *
     * @param reason what is missing, what was tried, and how to provide it
     * @param <T> any type, so that a caller can {@code return} the call where it would return the service
     * @return never
     * @throws org.opentest4j.AssertionFailedError under CI
     * @throws org.opentest4j.TestAbortedException elsewhere, which JUnit reports as skipped with {@code reason}
     */
    @SuppressWarnings("TypeParameterUnusedInFormals") // as JUnit's Assertions.fail: the caller returns the call
    public static <T> T skipOrFail(String reason) {
        return skipOrFail(reason, underCi());
    }

    /**
     * {@link #skipOrFail(String)} with the CI decision given, for tests of the rule itself.
     *
     * @param reason what is missing, what was tried, and how to provide it
     * @param ci whether to fail ({@code true}) or skip
     * @param <T> any type, so that a caller can {@code return} the call where it would return the service
     * @return never
     */
    @SuppressWarnings("TypeParameterUnusedInFormals") // as JUnit's Assertions.fail: the caller returns the call
    public static <T> T skipOrFail(String reason, boolean ci) {
        if (ci) {
            return Assertions.fail("CI is set, so this test must run, but " + reason);
        }
        return Assumptions.abort("skipped: " + reason);
    }
}
