package io.nexus.eventbus.rabbitmq.internal;

import io.nexus.eventbus.TypePattern;

/**
 * Maps a Nexus {@link TypePattern} to an AMQP topic binding key. AMQP matches dot-separated words, {@code *} one word
 * and {@code #} zero or more, while Nexus's {@code user.*} means "starts with {@code user.}" at any depth: so {@code
 * user.*} binds {@code user.#} and {@code *.error} binds {@code #.error}. Those keys also match {@code user} and
 * {@code error} themselves (zero words), which the Nexus patterns do not; the consumer filters such deliveries out by
 * matching the pattern again.
 */
public final class TopicBindings {
    private TopicBindings() {}

    /** The binding key that routes every type {@code pattern} matches (and possibly the bare prefix or suffix word). */
    public static String bindingKey(TypePattern pattern) {
        if (pattern instanceof TypePattern.Exact exact) {
            return exact.type();
        }
        if (pattern instanceof TypePattern.AnyType) {
            return "#";
        }
        if (pattern instanceof TypePattern.Prefix prefix) {
            return prefix.prefix() + "#";
        }
        if (pattern instanceof TypePattern.Suffix suffix) {
            return "#" + suffix.suffix();
        }
        throw new AssertionError("unknown type pattern " + pattern);
    }
}
