package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.UUID;

/**
 * The one lease policy of durable subscriptions and projections: who holds a row of {@code subscriptions} and for how
 * long. Lease times are the server's clock; the holder renews every third of the duration.
 *
 * @param owner this process's name in the {@code owner} column
 * @param duration how long a lease lasts without renewal
 */
public record LeasePolicy(String owner, Duration duration) {
    /** The default lease duration of subscriptions and projections alike. */
    public static final Duration DEFAULT_DURATION = Duration.ofSeconds(10);
    /** The shortest lease accepted. */
    public static final Duration MIN_DURATION = Duration.ofMillis(300);
    /** The longest owner name accepted. */
    public static final int MAX_OWNER_LENGTH = 200;

    public LeasePolicy {
        checkOwner(owner);
        checkDuration(duration);
    }

    /** The default owner name: {@code <pid>@<host>/<8 random hex digits>}, distinct per bus and daemon. */
    public static String defaultOwner() {
        return ManagementFactory.getRuntimeMXBean().getName() + "/"
                + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Returns {@code owner} if it is 1 to 200 characters, not blank, without control characters. */
    public static String checkOwner(String owner) {
        requireNonNull(owner, "owner");
        if (owner.isBlank()
                || owner.length() > MAX_OWNER_LENGTH
                || owner.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("owner must be 1 to " + MAX_OWNER_LENGTH
                    + " characters, not blank, without control characters; was '" + owner + "'");
        }
        return owner;
    }

    /** Returns {@code duration} if it is at least {@link #MIN_DURATION}. */
    public static Duration checkDuration(Duration duration) {
        requireNonNull(duration, "leaseDuration");
        if (duration.compareTo(MIN_DURATION) < 0) {
            throw new IllegalArgumentException("leaseDuration must be at least " + MIN_DURATION + ", was " + duration);
        }
        return duration;
    }

    long millis() {
        return duration.toMillis();
    }

    /** How often the holder renews: a third of the duration. */
    long renewNanos() {
        return duration.toNanos() / 3;
    }
}
