package io.nexus.eventstore.core;

/**
 * What the caller believes about a stream before appending. A wrong belief writes nothing and throws {@link
 * WrongExpectedVersionException}.
 *
 * <p>A stream's version is the number of events in it: an empty stream is at 0 and its first event has version 1
 * (see {@code doc/adr/0002-stream-version-numbering.md}).
 */
public sealed interface ExpectedVersion {
    /** {@return an expectation that appends whatever the stream's state; it never conflicts} */
    static ExpectedVersion any() {
        return new Any();
    }

    /** {@return an expectation that appends only if the stream has no events yet} */
    static ExpectedVersion noStream() {
        return new NoStream();
    }

    /** {@return an expectation that appends only if the stream has at least one event} */
    static ExpectedVersion streamExists() {
        return new StreamExists();
    }

    /**
     * Appends only if the stream is exactly at {@code version}.
     *
     * @param version the stream's version the caller saw (0 means empty)
     * @return the expectation
     * @throws IllegalArgumentException if {@code version} is negative
     */
    static ExpectedVersion exactly(long version) {
        return new Exactly(version);
    }

    /**
     * Tells whether a stream at {@code actualVersion} satisfies this expectation.
     *
     * @param actualVersion the stream's version in the store (0 when it does not exist)
     * @return whether an append may go ahead
     */
    boolean isSatisfiedBy(long actualVersion);

    /** Never conflicts. */
    record Any() implements ExpectedVersion {
        @Override
        public boolean isSatisfiedBy(long actualVersion) {
            return true;
        }
    }

    /** The stream must be empty. */
    record NoStream() implements ExpectedVersion {
        @Override
        public boolean isSatisfiedBy(long actualVersion) {
            return actualVersion == 0;
        }
    }

    /** The stream must have at least one event. */
    record StreamExists() implements ExpectedVersion {
        @Override
        public boolean isSatisfiedBy(long actualVersion) {
            return actualVersion > 0;
        }
    }

    /** The stream must be at exactly {@code version}. */
    record Exactly(long version) implements ExpectedVersion {
        /**
         * Checks the version.
         *
         * @param version the stream's version the caller saw (0 means empty)
         * @throws IllegalArgumentException if {@code version} is negative
         */
        public Exactly {
            if (version < 0) {
                throw new IllegalArgumentException("expected version must be >= 0, was " + version);
            }
        }

        @Override
        public boolean isSatisfiedBy(long actualVersion) {
            return actualVersion == version;
        }
    }
}
