package io.nexus.eventbus.relay;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.eventstore.json.EventEnvelopeJson;
import io.nexus.eventstore.json.JacksonEventSerializer;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the builders of every broker's publisher and consumer share: the broker's URI, how payloads are written into
 * the {@linkplain EventEnvelopeJson envelope}, and the argument checks, whose messages quote the bad value. A
 * consumer's builder extends {@link RelayConsumerBuilder}. Not thread-safe.
 *
 * @param <B> the broker's builder, returned by the setters for chaining
 */
public abstract class RelayBuilder<B extends RelayBuilder<B>> {
    private final URI brokerUri;
    private EventSerializer serializer = JacksonEventSerializer.create();
    private @Nullable PersonalDataKeys personalDataKeys;

    /**
     * For the brokers' builders: {@code brokerUri} is checked with {@link #uri(String, String, String, Set)}.
     *
     * @param what the setting's name, for the message
     * @param brokerUri the broker's URI
     * @param expected what a valid URI looks like, for the message ({@code "a redis://host:port URL"})
     * @param schemes the URI schemes accepted
     * @throws IllegalArgumentException if the URI is malformed, has another scheme or no host, quoting it
     */
    protected RelayBuilder(String what, String brokerUri, String expected, Set<String> schemes) {
        this.brokerUri = uri(what, brokerUri, expected, schemes);
    }

    /**
     * Writes payloads that are not {@link io.nexus.eventstore.core.RawJson} as JSON, and, on a consumer, decodes the
     * payloads of registered types; use the store's serializer so the relayed JSON equals the stored one. Default:
     * {@link JacksonEventSerializer#create()}, like the store's.
     *
     * @param serializer the serializer
     * @return this builder
     */
    public B serializer(EventSerializer serializer) {
        this.serializer = requireNonNull(serializer, "serializer");
        return self();
    }

    /**
     * The keys of the store's data subjects ({@code PostgresEventStore.personalDataKeys()}). A publisher given them
     * sends {@link io.nexus.eventstore.core.PersonalData} fields encrypted (without them, publishing such an event
     * fails rather than send plaintext); a consumer given them decrypts those fields, one without reads them masked
     * ({@code isRedacted()}). Default: none.
     *
     * @param keys the keys
     * @return this builder
     */
    public B personalDataKeys(PersonalDataKeys keys) {
        this.personalDataKeys = requireNonNull(keys, "keys");
        return self();
    }

    /** {@return the personal-data keys set, or null} */
    protected final @Nullable PersonalDataKeys personalDataKeys() {
        return personalDataKeys;
    }

    /** {@return the broker's URI, as checked by the constructor} */
    protected final URI brokerUri() {
        return brokerUri;
    }

    /** {@return the payload serializer set, or the default} */
    protected final EventSerializer serializer() {
        return serializer;
    }

    /**
     * {@return the envelope codec these settings describe} A publisher reads nothing, so every type is raw JSON to it.
     */
    protected EventEnvelopeJson codec() {
        return new EventEnvelopeJson(serializer, EventTypeRegistry.rawJson(), personalDataKeys);
    }

    /** {@return this builder as its own type, for chaining} */
    @SuppressWarnings("unchecked")
    protected final B self() {
        // B is this builder's own class by the type parameter's contract (class X extends RelayBuilder<X>).
        return (B) this;
    }

    /**
     * {@code value} parsed as a URI with one of {@code schemes} and a host.
     *
     * @param what the setting's name, for the message
     * @param value the URI
     * @param expected what a valid value looks like, for the message ({@code "a redis://host:port URL"})
     * @param schemes the URI schemes accepted
     * @return the parsed URI
     * @throws IllegalArgumentException if it is malformed, has another scheme or no host, quoting it
     */
    protected static URI uri(String what, String value, String expected, Set<String> schemes) {
        requireNonNull(value, what);
        URI parsed;
        try {
            parsed = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(what + " must be " + expected + ", was '" + value + "'", e);
        }
        if (!schemes.contains(parsed.getScheme()) || parsed.getHost() == null) {
            throw new IllegalArgumentException(what + " must be " + expected + ", was '" + value + "'");
        }
        return parsed;
    }

    /**
     * {@code value} if it is non-blank without surrounding whitespace.
     *
     * @param what the setting's name, for the message
     * @param value the name
     * @return {@code value}
     * @throws IllegalArgumentException otherwise, quoting it
     */
    protected static String name(String what, String value) {
        requireNonNull(value, what);
        if (value.isBlank() || !value.strip().equals(value)) {
            throw new IllegalArgumentException(
                    what + " must be non-blank without surrounding whitespace, was '" + value + "'");
        }
        return value;
    }

    /**
     * {@code value} if it is at least {@code min}.
     *
     * @param what the setting's name, for the message
     * @param value the number
     * @param min the smallest value accepted
     * @return {@code value}
     * @throws IllegalArgumentException otherwise, quoting it
     */
    protected static int atLeast(String what, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be >= " + min + ", was " + value);
        }
        return value;
    }

    /**
     * {@code value} if it is at least one millisecond.
     *
     * @param what the setting's name, for the message
     * @param value the duration
     * @return {@code value}
     * @throws IllegalArgumentException otherwise, quoting it
     */
    protected static Duration positiveMillis(String what, Duration value) {
        requireNonNull(value, what);
        if (value.isNegative() || value.toMillis() < 1) {
            throw new IllegalArgumentException(what + " must be at least 1 ms, was " + value);
        }
        return value;
    }
}
