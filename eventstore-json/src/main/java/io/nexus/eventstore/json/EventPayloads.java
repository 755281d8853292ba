package io.nexus.eventstore.json;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.UnknownEventTypeException;
import io.nexus.eventstore.core.UnknownTypePolicy;
import io.nexus.eventstore.core.VersionedJson;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The one place where a payload's JSON meets schema versions, upcasters and personal data, for every path that
 * stores or reads events as JSON (the PostgreSQL store and the broker relays' envelope). Writing, it serializes a
 * payload and encrypts its {@link io.nexus.eventstore.core.PersonalData} fields; reading, it decrypts (or masks) them,
 * runs the {@link EventTypeRegistry}'s upcasters from the stored schema version, and decodes the result to the
 * registered class, or follows the registry's {@link UnknownTypePolicy}. Payloads that need none of this take the
 * plain path, straight into the serializer. Thread-safe.
 *
 * <p>Reserved metadata: {@link RecordedEvent#SCHEMA_VERSION_KEY} (the version the payload is in, when above 1),
 * {@link #ENCRYPTED_KEY} (stored: the payload has encrypted fields; removed on read) and {@link
 * RecordedEvent#REDACTED_KEY} (read: fields were masked). Whatever a caller puts under these keys is replaced.
 */
public final class EventPayloads {
    /** The stored metadata key set to {@code true} when the payload holds encrypted personal fields. */
    public static final String ENCRYPTED_KEY = "nexus.encrypted";

    /** How a stored encrypted value starts, before its key id: {@code nexus:pii:1:<key id>:<sealed value>}. */
    public static final String ENCRYPTED_VALUE_PREFIX = PersonalDataCipher.PREFIX;

    // Trees keep decimals as BigDecimal and write them plainly, so an amount passes an upcaster unchanged.
    private static final ObjectMapper TREES = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();
    private static final TypeReference<LinkedHashMap<String, Object>> TREE = new TypeReference<>() {};
    private static final PersonalDataCipher.JsonText JSON_TEXT = new PersonalDataCipher.JsonText() {
        @Override
        public byte[] write(Object value) {
            try {
                return TREES.writeValueAsBytes(value);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write a JSON value", e);
            }
        }

        @Override
        public @Nullable Object read(byte[] json) {
            try {
                return TREES.readValue(json, Object.class);
            } catch (IOException e) {
                throw new IllegalStateException("a decrypted value is not JSON", e);
            }
        }
    };

    private static final BytePattern ENCRYPTED_MARK =
            new BytePattern(("\"" + ENCRYPTED_KEY + "\"").getBytes(StandardCharsets.US_ASCII));

    private final EventTypeRegistry types;
    private final EventSerializer serializer;
    private final PersonalDataCipher cipher;

    /**
     * Payload handling on {@code types} and {@code serializer}.
     *
     * @param types the type names, classes, versions and upcasters
     * @param serializer turns payloads into JSON and back
     * @param keys the subjects' keys; null where none are at hand (a relay consumer without database access): then
     *     personal fields read as masked, and writing an event with personal data fails
     */
    public EventPayloads(EventTypeRegistry types, EventSerializer serializer, @Nullable PersonalDataKeys keys) {
        this.types = requireNonNull(types, "types");
        this.serializer = requireNonNull(serializer, "serializer");
        this.cipher = new PersonalDataCipher(keys);
    }

    /** {@return the registry this reads and writes with} */
    public EventTypeRegistry types() {
        return types;
    }

    /**
     * Tells whether a payload has personal fields, which {@link #serialize} encrypts.
     *
     * @param data a payload
     * @return whether its class has {@link io.nexus.eventstore.core.PersonalData} fields
     * @throws IllegalArgumentException if its class has personal data but not exactly one data subject
     */
    public boolean encrypts(Object data) {
        return !(data instanceof RawJson)
                && PersonalDataCipher.fieldsOf(data.getClass()).any();
    }

    /**
     * Makes sure the key of the payload's subject exists (creating it if needed), so that {@link #serialize} finds
     * it without another database round trip; does nothing for payloads without personal data.
     *
     * @param data a payload
     */
    public void prepareKey(Object data) {
        if (encrypts(data)) {
            cipher.prepareKey(PersonalDataCipher.fieldsOf(data.getClass()), data);
        }
    }

    /**
     * The JSON to store for a payload: {@link RawJson} as it is, anything else through the serializer, with its
     * personal fields encrypted.
     *
     * @param eventId the event's id (part of the encryption's nonce)
     * @param type the event's type name
     * @param data the payload
     * @return the JSON text
     * @throws EventSerializationException if the payload cannot be serialized, or holds personal data behind a
     *     component not declared as its type (an {@code Object} or an interface), which could not be encrypted
     */
    public String serialize(UUID eventId, String type, Object data) {
        if (data instanceof RawJson raw) {
            return raw.json();
        }
        String json = serializer.serialize(type, data);
        PersonalDataCipher.PersonalFields fields = PersonalDataCipher.fieldsOf(data.getClass());
        PersonalDataCipher.refuseHidden(type, fields, data);
        if (!fields.any()) {
            return json;
        }
        Map<String, Object> tree = tree(type, json.getBytes(StandardCharsets.UTF_8));
        cipher.encrypt(fields, data, eventId, tree, JSON_TEXT);
        return new String(JSON_TEXT.write(tree), StandardCharsets.UTF_8);
    }

    /**
     * Tells whether a stored payload can be decoded as it is: not encrypted, no upcaster takes it, and it is in its
     * type's current version. Such payloads go straight to the serializer (or read as raw JSON).
     *
     * @param type the stored type name
     * @param version the stored schema version
     * @param encrypted whether the stored metadata says it has encrypted fields
     * @return whether the plain path applies
     */
    public boolean isPlain(String type, int version, boolean encrypted) {
        return !encrypted && !types.hasUpcaster(type, version) && version == types.versionOf(type);
    }

    /** One payload read: its type, schema version and decoded data, and whether personal fields were masked. */
    public record Decoded(UUID eventId, String type, int version, Object data, boolean redacted) {}

    /**
     * Reads a stored payload that is not {@linkplain #isPlain plain}: decrypts its personal fields, upcasts it, and
     * decodes each result. A payload split by an upcaster yields several; the first keeps the event id, the others get
     * ids derived from it (the same on every read).
     *
     * @param eventId the stored event's id
     * @param type the stored type name
     * @param version the stored schema version
     * @param encrypted whether the stored metadata says it has encrypted fields
     * @param json the stored payload, UTF-8 JSON
     * @param where where the event was met (stream and version, or a relayed message), for errors
     * @return the payloads it reads as, in order
     * @throws EventSerializationException if it is not a JSON object, an upcaster fails, or a result does not decode
     * @throws UnknownEventTypeException if a result's type has no class and the registry reads strictly
     */
    public List<Decoded> read(UUID eventId, String type, int version, boolean encrypted, byte[] json, String where) {
        return read(eventId, type, version, encrypted, json, where, null);
    }

    /**
     * Reads a stored payload as {@link #read(UUID, String, int, boolean, byte[], String)} does, decrypting with {@code
     * keys} (those a page of events needs, read at once) instead of this codec's own.
     *
     * @param eventId the stored event's id
     * @param type the stored type name
     * @param version the stored schema version
     * @param encrypted whether the stored metadata says it has encrypted fields
     * @param json the stored payload, UTF-8 JSON
     * @param where where the event was met, for errors
     * @param keys the keys to decrypt with; null for this codec's own
     * @return the payloads it reads as, in order
     */
    public List<Decoded> read(
            UUID eventId,
            String type,
            int version,
            boolean encrypted,
            byte[] json,
            String where,
            @Nullable PersonalDataKeys keys) {
        Map<String, Object> tree = tree(type, json);
        boolean redacted = encrypted
                && (keys == null ? cipher.decrypt(tree, type, JSON_TEXT) : cipher.decrypt(tree, type, JSON_TEXT, keys));
        List<VersionedJson> upcast = types.upcast(new VersionedJson(type, version, tree), where);
        List<Decoded> decoded = new ArrayList<>(upcast.size());
        for (int i = 0; i < upcast.size(); i++) {
            VersionedJson result = upcast.get(i);
            UUID id = i == 0 ? eventId : derivedId(eventId, i);
            Object data = decode(result, where);
            decoded.add(new Decoded(id, result.type(), result.version(), data, redacted));
        }
        return decoded;
    }

    private Object decode(VersionedJson payload, String where) {
        String type = payload.type();
        Optional<Class<?>> target = types.classOf(type);
        if (target.isPresent()) {
            int current = types.versionOf(type);
            if (payload.version() != current) {
                throw new EventSerializationException(
                        type,
                        "stored at schema version " + payload.version() + " "
                                + where + ", but " + target.get().getName() + " is version " + current
                                + ": register an upcaster from version " + payload.version());
            }
            return serializer.deserialize(type, JSON_TEXT.write(payload.data()), target.get());
        }
        return unknown(type, new String(JSON_TEXT.write(payload.data()), StandardCharsets.UTF_8), where);
    }

    /**
     * A plain payload of a type without a class, as the registry's {@link UnknownTypePolicy} says.
     *
     * @param type the type name
     * @param json the payload's JSON text
     * @param where where the event was met, for the error
     * @return the payload as {@link RawJson}
     * @throws UnknownEventTypeException if the registry reads strictly
     */
    public RawJson unknown(String type, String json, String where) {
        if (types.unknownTypes() == UnknownTypePolicy.FAIL) {
            throw new UnknownEventTypeException(type, where);
        }
        return RawJson.of(json);
    }

    /**
     * The metadata values of an event read through {@link #read}: the stored ones without {@link #ENCRYPTED_KEY},
     * with the schema version it now has and the redaction flag.
     *
     * @param stored the stored metadata values
     * @param decoded what the payload read as
     * @return the metadata values for the event
     */
    public static Map<String, Object> metadataOf(Map<String, Object> stored, Decoded decoded) {
        Map<String, Object> values = new HashMap<>(stored);
        values.remove(ENCRYPTED_KEY);
        values.remove(RecordedEvent.SCHEMA_VERSION_KEY);
        values.remove(RecordedEvent.REDACTED_KEY);
        if (decoded.version() > 1) {
            values.put(RecordedEvent.SCHEMA_VERSION_KEY, (long) decoded.version());
        }
        if (decoded.redacted()) {
            values.put(RecordedEvent.REDACTED_KEY, true);
        }
        return values;
    }

    /**
     * The metadata values to store with a new event: the caller's, with the reserved keys set by this codec.
     *
     * @param type the event's type name
     * @param data the payload
     * @param values the caller's metadata values
     * @return the values to store; the very {@code values} when nothing is reserved (the common case)
     */
    public Map<String, Object> metadataToStore(String type, Object data, Map<String, Object> values) {
        int version = types.versionOf(type);
        boolean encrypted = encrypts(data);
        if (version == 1
                && !encrypted
                && !values.containsKey(RecordedEvent.SCHEMA_VERSION_KEY)
                && !values.containsKey(RecordedEvent.REDACTED_KEY)
                && !values.containsKey(ENCRYPTED_KEY)) {
            return values;
        }
        Map<String, Object> stored = new LinkedHashMap<>(values);
        stored.remove(RecordedEvent.SCHEMA_VERSION_KEY);
        stored.remove(RecordedEvent.REDACTED_KEY);
        stored.remove(ENCRYPTED_KEY);
        if (version > 1) {
            stored.put(RecordedEvent.SCHEMA_VERSION_KEY, version);
        }
        if (encrypted) {
            stored.put(ENCRYPTED_KEY, true);
        }
        return stored;
    }

    /**
     * The stored schema version in stored metadata values.
     *
     * @param values stored metadata values
     * @return the version, 1 when none is recorded
     */
    public static int storedVersion(Map<String, Object> values) {
        return values.get(RecordedEvent.SCHEMA_VERSION_KEY) instanceof Number version ? version.intValue() : 1;
    }

    /**
     * Tells whether stored metadata values say the payload has encrypted fields.
     *
     * @param values stored metadata values
     * @return whether {@link #ENCRYPTED_KEY} is true
     */
    public static boolean isEncrypted(Map<String, Object> values) {
        return Boolean.TRUE.equals(values.get(ENCRYPTED_KEY));
    }

    /**
     * Adds the ids of the keys that encrypted values in a stored payload to {@code into}, so that a page of events
     * looks its keys up in one query ({@link PersonalDataKeys#findAll}).
     *
     * @param json a stored payload whose metadata says it is encrypted, UTF-8 JSON
     * @param into where the ids go
     */
    public static void keyIdsIn(byte[] json, Set<UUID> into) {
        PersonalDataCipher.keyIdsIn(json, into);
    }

    /**
     * Tells, without parsing it, whether stored metadata JSON may mark its payload encrypted (it names {@link
     * #ENCRYPTED_KEY}); a page of events reads keys only for such rows.
     *
     * @param metadata stored metadata, UTF-8 JSON
     * @return whether it holds the key {@link #ENCRYPTED_KEY}
     */
    public static boolean mayBeEncrypted(byte[] metadata) {
        return ENCRYPTED_MARK.indexIn(metadata, 0) >= 0;
    }

    private static UUID derivedId(UUID eventId, int index) {
        return UUID.nameUUIDFromBytes((eventId + "/" + index).getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> tree(String type, byte[] json) {
        try {
            Map<String, Object> tree = TREES.readValue(json, TREE);
            if (tree == null) {
                throw new EventSerializationException(type, "the payload is JSON null, not an object");
            }
            return tree;
        } catch (IOException e) {
            throw new EventSerializationException(
                    type, "the payload must be a JSON object to be upcast or decrypted", e);
        }
    }
}
