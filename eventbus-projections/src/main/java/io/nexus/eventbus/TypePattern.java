package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.EventTypeRegistry;

/**
 * Which event types a subscription receives, parsed once by {@link #of(String)} so that matching an event costs one
 * string comparison, never a regular expression. Four forms:
 *
 * <ul>
 *   <li>an exact type name, {@code user.registered} ({@link Exact});
 *   <li>{@code *}, every type ({@link AnyType});
 *   <li>{@code user.*}, every type that starts with {@code user.}, at any depth: {@code user.registered} and {@code
 *       user.profile.changed}, but not {@code user} nor {@code users.x} ({@link Prefix});
 *   <li>{@code *.error}, every type that ends with {@code .error}: {@code payment.error}, {@code a.b.error}, but not
 *       {@code error} ({@link Suffix}).
 * </ul>
 *
 * <p>A wildcard is always a whole dot-separated segment at the start or the end; {@code user*}, {@code *user}, {@code
 * a.*.b} and {@code *.*} are malformed. Backends that filter elsewhere (for example in SQL) inspect the variant with an
 * {@code instanceof} chain. Instances are immutable.
 */
public sealed interface TypePattern {
    /**
     * Parses {@code pattern}.
     *
     * @param pattern an exact type, {@code *}, {@code user.*} or {@code *.error}
     * @return the parsed pattern
     * @throws IllegalArgumentException if it is none of the four forms, quoting it and the forms
     */
    static TypePattern of(String pattern) {
        requireNonNull(pattern, "type pattern");
        if (pattern.equals("*")) {
            return new AnyType();
        }
        try {
            if (pattern.endsWith(".*")) {
                return new Prefix(pattern.substring(0, pattern.length() - 1));
            }
            if (pattern.startsWith("*.")) {
                return new Suffix(pattern.substring(1));
            }
            return new Exact(pattern);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "type pattern must be an event type name, '*', 'prefix.*' or '*.suffix', was '" + pattern + "'", e);
        }
    }

    /**
     * Whether an event of type {@code type} matches.
     *
     * @param type an event's type name
     * @return whether it matches
     */
    boolean matches(String type);

    /** {@return the pattern in its textual form, as {@link #of(String)} accepts it} */
    String pattern();

    /** Exactly one type name. */
    record Exact(String type) implements TypePattern {
        /**
         * Checks the type name.
         *
         * @param type the type name
         * @throws IllegalArgumentException if it is not a valid type name
         */
        public Exact {
            EventTypeRegistry.checkTypeName(type);
        }

        @Override
        public boolean matches(String type) {
            return this.type.equals(type);
        }

        @Override
        public String pattern() {
            return type;
        }
    }

    /** Every type: {@code *}. */
    record AnyType() implements TypePattern {
        @Override
        public boolean matches(String type) {
            return true;
        }

        @Override
        public String pattern() {
            return "*";
        }
    }

    /** Every type starting with {@code prefix}, which ends with a dot: {@code user.} for {@code user.*}. */
    record Prefix(String prefix) implements TypePattern {
        /**
         * Checks the prefix.
         *
         * @param prefix a type name segment followed by a dot, such as {@code user.}
         * @throws IllegalArgumentException if it is not one
         */
        public Prefix {
            EventTypeRegistry.checkTypeName(prefix);
            if (prefix.length() < 2 || !prefix.endsWith(".")) {
                throw new IllegalArgumentException(
                        "prefix must be a type name segment followed by '.', was '" + prefix + "'");
            }
        }

        @Override
        public boolean matches(String type) {
            return type.startsWith(prefix);
        }

        @Override
        public String pattern() {
            return prefix + "*";
        }
    }

    /** Every type ending with {@code suffix}, which starts with a dot: {@code .error} for {@code *.error}. */
    record Suffix(String suffix) implements TypePattern {
        /**
         * Checks the suffix.
         *
         * @param suffix a dot followed by a type name segment, such as {@code .error}
         * @throws IllegalArgumentException if it is not one
         */
        public Suffix {
            EventTypeRegistry.checkTypeName(suffix);
            if (suffix.length() < 2 || !suffix.startsWith(".")) {
                throw new IllegalArgumentException(
                        "suffix must be '.' followed by a type name segment, was '" + suffix + "'");
            }
        }

        @Override
        public boolean matches(String type) {
            return type.endsWith(suffix);
        }

        @Override
        public String pattern() {
            return "*" + suffix;
        }
    }
}
