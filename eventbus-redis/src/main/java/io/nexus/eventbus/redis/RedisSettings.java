package io.nexus.eventbus.redis;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;

/** Argument checks shared by the publisher's and the consumer's builders; messages quote the bad value. */
final class RedisSettings {
    private RedisSettings() {}

    static URI redisUrl(String url) {
        requireNonNull(url, "redisUrl");
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            throw new IllegalArgumentException("redisUrl must be a redis:// or rediss:// URL, was '" + url + "'", e);
        }
        if (!("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(
                    "redisUrl must be a redis://host:port or rediss://host:port URL, was '" + url + "'");
        }
        return uri;
    }

    static String name(String what, String value) {
        requireNonNull(value, what);
        if (value.isBlank() || !value.strip().equals(value)) {
            throw new IllegalArgumentException(what + " must be non-blank without surrounding whitespace, was '"
                    + value + "'");
        }
        return value;
    }

    static int atLeast(String what, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be >= " + min + ", was " + value);
        }
        return value;
    }

    static Duration positiveMillis(String what, Duration value) {
        requireNonNull(value, what);
        if (value.isNegative() || value.toMillis() < 1) {
            throw new IllegalArgumentException(what + " must be at least 1 ms, was " + value);
        }
        return value;
    }
}
