package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Which events {@link EventRetention} removes: events older than an age, all but the newest events of each stream,
 * every event before a version, or every event of a soft-deleted stream; each within a {@link RetentionScope} (global unless {@link #in} says otherwise).
 *
 * <pre>{@code
 * RetentionPolicy.maxAge(Duration.ofDays(30));                                  // everywhere
 * RetentionPolicy.maxCount(1_000).in(RetentionScope.category("sensor"));       // newest 1,000 per sensor stream
 * RetentionPolicy.truncateBefore(500).in(RetentionScope.stream(StreamId.of("order-42")));
 * }</pre>
 *
 * <p>Whatever the policy, a normal run keeps every event that a durable subscription, projection or saga has not
 * processed yet; see {@link EventRetention}.
 */
public sealed interface RetentionPolicy {
    /** The age of the original design's {@code event_retention_days}: 30 days. */
    Duration DEFAULT_MAX_AGE = Duration.ofDays(30);

    /** {@return the streams this policy applies to} */
    RetentionScope scope();

    /**
     * This policy, applied to {@code scope} only.
     *
     * @param scope the streams it applies to
     * @return a policy with the same limit and that scope
     */
    RetentionPolicy in(RetentionScope scope);

    /**
     * Events recorded more than {@code maxAge} ago (by the database's clock), in every stream.
     *
     * @param maxAge the age beyond which events go; at least one second
     * @return the policy
     * @throws IllegalArgumentException if {@code maxAge} is shorter than a second
     */
    static RetentionPolicy maxAge(Duration maxAge) {
        return new MaxAge(maxAge, RetentionScope.global());
    }

    /**
     * All but the newest {@code keep} events of each stream.
     *
     * @param keep how many events each stream keeps; at least 1
     * @return the policy
     * @throws IllegalArgumentException if {@code keep} is below 1
     */
    static RetentionPolicy maxCount(long keep) {
        return new MaxCount(keep, RetentionScope.global());
    }

    /**
     * The events of each stream with a version below {@code version}.
     *
     * @param version the first version kept; at least 2 (version 1 is the first event)
     * @return the policy
     * @throws IllegalArgumentException if {@code version} is below 2
     */
    static RetentionPolicy truncateBefore(long version) {
        return new TruncateBefore(version, RetentionScope.global());
    }

    /**
     * Every event of each soft-deleted stream (a stream with a tombstone, {@code streams.deleted_at} set by {@code
     * EventStore.deleteStream}): the hard deletion. The stream row and its tombstone stay, so the name is not reused.
     *
     * @return the policy
     */
    static RetentionPolicy deletedStreams() {
        return new DeletedStreams(RetentionScope.global());
    }

    /**
     * Every event of the soft-deleted streams.
     *
     * @param scope the streams it applies to
     */
    record DeletedStreams(RetentionScope scope) implements RetentionPolicy {
        /**
         * Checks the scope.
         *
         * @param scope the streams it applies to
         */
        public DeletedStreams {
            requireNonNull(scope, "scope");
        }

        @Override
        public RetentionPolicy in(RetentionScope scope) {
            return new DeletedStreams(scope);
        }
    }

    /**
     * Events older than an age.
     *
     * @param maxAge the age beyond which events go
     * @param scope the streams it applies to
     */
    record MaxAge(Duration maxAge, RetentionScope scope) implements RetentionPolicy {
        /**
         * Checks the age.
         *
         * @param maxAge the age beyond which events go; at least one second
         * @param scope the streams it applies to
         * @throws IllegalArgumentException if {@code maxAge} is shorter than a second
         */
        public MaxAge {
            requireNonNull(maxAge, "maxAge");
            requireNonNull(scope, "scope");
            if (maxAge.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("maxAge must be at least 1 second, was " + maxAge);
            }
        }

        @Override
        public RetentionPolicy in(RetentionScope scope) {
            return new MaxAge(maxAge, scope);
        }
    }

    /**
     * All but the newest events of each stream.
     *
     * @param keep how many events each stream keeps
     * @param scope the streams it applies to
     */
    record MaxCount(long keep, RetentionScope scope) implements RetentionPolicy {
        /**
         * Checks the count.
         *
         * @param keep how many events each stream keeps; at least 1
         * @param scope the streams it applies to
         * @throws IllegalArgumentException if {@code keep} is below 1
         */
        public MaxCount {
            requireNonNull(scope, "scope");
            if (keep < 1) {
                throw new IllegalArgumentException("keep must be >= 1 event per stream, was " + keep);
            }
        }

        @Override
        public RetentionPolicy in(RetentionScope scope) {
            return new MaxCount(keep, scope);
        }
    }

    /**
     * The events before a version.
     *
     * @param version the first version kept
     * @param scope the streams it applies to
     */
    record TruncateBefore(long version, RetentionScope scope) implements RetentionPolicy {
        /**
         * Checks the version.
         *
         * @param version the first version kept; at least 2
         * @param scope the streams it applies to
         * @throws IllegalArgumentException if {@code version} is below 2
         */
        public TruncateBefore {
            requireNonNull(scope, "scope");
            if (version < 2) {
                throw new IllegalArgumentException(
                        "version must be >= 2 (the first version kept; 1 would remove nothing), was " + version);
            }
        }

        @Override
        public RetentionPolicy in(RetentionScope scope) {
            return new TruncateBefore(version, scope);
        }
    }
}
