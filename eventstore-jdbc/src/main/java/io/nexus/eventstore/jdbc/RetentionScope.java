package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.StreamId;

/** Which streams a {@link RetentionPolicy} applies to: all of them, one category, or one stream. */
public sealed interface RetentionScope {
    /**
     * Every stream of the store.
     *
     * @return the global scope
     */
    static RetentionScope global() {
        return new Global();
    }

    /**
     * The streams of one category, the part of a stream id before its first {@code -}.
     *
     * @param category the category, such as {@code order}
     * @return the scope
     * @throws IllegalArgumentException if the category is blank or contains {@code -}
     */
    static RetentionScope category(String category) {
        return new Category(category);
    }

    /**
     * One stream.
     *
     * @param stream the stream
     * @return the scope
     */
    static RetentionScope stream(StreamId stream) {
        return new Stream(stream);
    }

    /** Every stream. */
    record Global() implements RetentionScope {}

    /**
     * The streams of one category.
     *
     * @param name the category, such as {@code order}
     */
    record Category(String name) implements RetentionScope {
        /**
         * Checks the category.
         *
         * @param name the category, such as {@code order}
         * @throws IllegalArgumentException if it is blank or contains {@code -}
         */
        public Category {
            requireNonNull(name, "name");
            if (name.isBlank() || name.contains("-")) {
                throw new IllegalArgumentException(
                        "a category is the non-blank part of a stream id before its first '-', was '" + name + "'");
            }
        }
    }

    /**
     * One stream.
     *
     * @param id the stream
     */
    record Stream(StreamId id) implements RetentionScope {
        /**
         * Checks the stream.
         *
         * @param id the stream
         */
        public Stream {
            requireNonNull(id, "id");
        }
    }
}
