package io.nexus.eventbus.relay;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.json.EventEnvelopeJson;
import java.util.Set;

/**
 * The part of a relay consumer's builder that every broker shares: the {@link RelayBuilder} settings, and the classes
 * payloads decode to. Not thread-safe.
 *
 * @param <B> the broker's builder, returned by the setters for chaining
 */
public abstract class RelayConsumerBuilder<B extends RelayConsumerBuilder<B>> extends RelayBuilder<B> {
    private EventTypeRegistry types = EventTypeRegistry.rawJson();

    /**
     * For the brokers' builders; see {@link RelayBuilder#RelayBuilder(String, String, String, Set)}.
     *
     * @param what the setting's name, for the message
     * @param brokerUri the broker's URI
     * @param expected what a valid URI looks like, for the message ({@code "a redis://host:port URL"})
     * @param schemes the URI schemes accepted
     * @throws IllegalArgumentException if the URI is malformed, has another scheme or no host, quoting it
     */
    protected RelayConsumerBuilder(String what, String brokerUri, String expected, Set<String> schemes) {
        super(what, brokerUri, expected, schemes);
    }

    /**
     * Maps type names to payload classes, and upcasts messages published in older schema versions with the registry's
     * upcasters. Events of unregistered types read as {@link io.nexus.eventstore.core.RawJson}, unless the registry
     * reads strictly, in which case they fail to decode and count as a failed delivery (see the consumer's delivery
     * rules). Default: {@link EventTypeRegistry#rawJson()}, every payload as raw JSON.
     *
     * @param types the registry
     * @return this builder
     */
    public B typeRegistry(EventTypeRegistry types) {
        this.types = requireNonNull(types, "types");
        return self();
    }

    /** {@return the envelope codec these settings describe, decoding payloads to the classes of the type registry} */
    @Override
    protected EventEnvelopeJson codec() {
        return new EventEnvelopeJson(serializer(), types, personalDataKeys());
    }
}
