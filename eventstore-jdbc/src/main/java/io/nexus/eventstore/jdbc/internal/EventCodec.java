package io.nexus.eventstore.jdbc.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RawJson;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.eventstore.core.spi.SubjectKey;
import io.nexus.eventstore.json.EventPayloads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jspecify.annotations.Nullable;

/**
 * Encodes payloads and metadata for writing, and maps stored rows back to {@link RecordedEvent}s. Schema versions,
 * upcasters and personal data are {@link EventPayloads}' business: rows that need none of them (the common case) take
 * the plain path below, the others go through it.
 */
public final class EventCodec {
    private static final ObjectMapper METADATA = new ObjectMapper();
    private static final ObjectWriter METADATA_WRITER = METADATA.writerFor(new TypeReference<Map<String, Object>>() {});

    private final EventTypeRegistry types;
    private final EventSerializer serializer;
    private final EventPayloads payloads;
    private final @Nullable PersonalDataKeys keys;
    private final boolean storedForm;

    public EventCodec(EventTypeRegistry types, EventSerializer serializer, @Nullable PersonalDataKeys keys) {
        this(types, serializer, keys, false);
    }

    private EventCodec(
            EventTypeRegistry types, EventSerializer serializer, @Nullable PersonalDataKeys keys, boolean storedForm) {
        this.types = types;
        this.serializer = serializer;
        this.payloads = new EventPayloads(types, serializer, keys);
        this.keys = keys;
        this.storedForm = storedForm;
    }

    /**
     * A codec that reads every row as it is stored: the payload as {@link RawJson} with its personal fields still
     * encrypted, in the schema version it was written in, and the metadata with its reserved entries ({@code
     * nexus.encrypted}, {@code nexus.schema_version}) as stored. What a relay carries out of the process: it never
     * holds personal data in the clear, and it reads every type, whatever this process's registry knows.
     */
    public static EventCodec storedForm(EventSerializer serializer) {
        return new EventCodec(EventTypeRegistry.rawJson(), serializer, null, true);
    }

    /**
     * Creates the keys of the subjects whose personal data {@code events} carry, before the append borrows its
     * connection: the key is committed on a connection of its own, and a pool of one must not wait on itself.
     */
    public void prepareKeys(List<NewEvent> events) {
        for (NewEvent event : events) {
            payloads.prepareKey(event.data());
        }
    }

    /** The payload's JSON: exactly one JSON value, since payloads are joined into one array for the append. */
    String payload(NewEvent event) {
        if (event.data() instanceof RawJson raw) {
            checkSingleValue(event.type(), raw.json());
            return raw.json();
        }
        return payloads.serialize(event.eventId(), event.type(), event.data());
    }

    private static void checkSingleValue(String type, String json) {
        try (JsonParser parser = METADATA.getFactory().createParser(json)) {
            if (parser.nextToken() == null) {
                throw new EventSerializationException(type, "the RawJson payload is empty");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new EventSerializationException(type, "the RawJson payload holds more than one JSON value");
            }
        } catch (IOException e) {
            throw new EventSerializationException(type, "the RawJson payload is not valid JSON", e);
        }
    }

    @Nullable
    String metadata(NewEvent event) {
        Map<String, Object> values = payloads.metadataToStore(event.type(), event.data(), event.metadataValues());
        if (values.isEmpty()) {
            return null;
        }
        try {
            return METADATA_WRITER.writeValueAsString(values);
        } catch (Exception e) {
            throw new EventSerializationException(event.type(), "cannot serialize the metadata", e);
        }
    }

    /**
     * A row mapper for one query, copying each row out of the result set undecoded (decoding is a separate step). Rows
     * of one page mostly share their stream, so it reuses the last {@link StreamId} instead of validating the same id
     * again; that is why each query gets its own mapper.
     */
    RowCopier rowCopier() {
        return new RowCopier();
    }

    /** See {@link #rowCopier()}; {@link #copy(ResultSet)} serves plain JDBC reads, {@link #map} Jdbi's. */
    static final class RowCopier implements RowMapper<StoredEvent> {
        private byte @Nullable [] lastStreamBytes;
        private @Nullable StreamId lastStream;
        private byte @Nullable [] lastTypeBytes;
        private @Nullable String lastType;

        @Override
        public StoredEvent map(ResultSet rs, StatementContext ctx) throws SQLException {
            return copy(rs);
        }

        StoredEvent copy(ResultSet rs) throws SQLException {
            // Stream id and type mostly repeat from row to row: compared as the column's UTF-8 bytes (pgjdbc hands
            // them over without a copy), a repeat costs no String, no validation and no hashing in the type lookup.
            byte[] streamBytes = rs.getBytes(1);
            StreamId stream = lastStream;
            if (stream == null || !Arrays.equals(streamBytes, lastStreamBytes)) {
                stream = StreamId.of(new String(streamBytes, StandardCharsets.UTF_8));
                lastStream = stream;
                lastStreamBytes = streamBytes;
            }
            byte[] typeBytes = rs.getBytes(5);
            String type = lastType;
            if (type == null || !Arrays.equals(typeBytes, lastTypeBytes)) {
                type = new String(typeBytes, StandardCharsets.UTF_8);
                lastType = type;
                lastTypeBytes = typeBytes;
            }
            return new StoredEvent(
                    stream,
                    rs.getLong(2),
                    // NULL reads as 0: committed but not yet ordered, so the caller sequences and reads again.
                    rs.getLong(3),
                    rs.getObject(4, UUID.class),
                    type,
                    jsonBytes(rs.getBytes(6)),
                    jsonBytesOrNull(rs.getBytes(7)),
                    rs.getObject(8, UUID.class),
                    rs.getObject(9, UUID.class),
                    rs.getString(10),
                    // Not getObject(.., OffsetDateTime.class): pgjdbc builds a new ZoneRules (a map) per value for it.
                    rs.getTimestamp(11).toInstant());
        }
    }

    /**
     * Hands {@code sink} the event a fetched row holds, payload and metadata decoded: one event, or several when an
     * upcaster splits it (they share the row's version and position).
     */
    void decode(StoredEvent row, Consumer<RecordedEvent> sink) {
        decode(row, sink, null);
    }

    /**
     * The keys that the encrypted rows of {@code rows} need, read in one query, so a page costs one look-up of keys
     * whatever its size; null when no row is encrypted (nothing is read then). Never cached across reads: an erasure
     * committed before this call is seen, in every process.
     */
    @Nullable
    PersonalDataKeys pageKeys(List<StoredEvent> rows) {
        if (keys == null || storedForm) {
            return null;
        }
        Set<UUID> keyIds = null;
        for (StoredEvent row : rows) {
            byte[] metadata = row.metadata();
            if (metadata != null && EventPayloads.mayBeEncrypted(metadata)) {
                if (keyIds == null) {
                    keyIds = new HashSet<>();
                }
                EventPayloads.keyIdsIn(row.data(), keyIds);
            }
        }
        if (keyIds == null) {
            return null;
        }
        Map<UUID, SubjectKey> found = keys.findAll(keyIds);
        return new PersonalDataKeys() {
            @Override
            public SubjectKey keyOf(String subject) {
                throw new UnsupportedOperationException("a page's keys only decrypt");
            }

            @Override
            public Optional<SubjectKey> find(UUID keyId) {
                return Optional.ofNullable(found.get(keyId));
            }
        };
    }

    /** Decodes {@code row} as {@link #decode(StoredEvent, Consumer)}, decrypting with the page's keys if given. */
    void decode(StoredEvent row, Consumer<RecordedEvent> sink, @Nullable PersonalDataKeys pageKeys) {
        byte[] metadata = row.metadata();
        Metadata decoded = metadata == null ? Metadata.NONE : decodeMetadata(row.type(), metadata);
        int version = EventPayloads.storedVersion(decoded.values());
        boolean encrypted = EventPayloads.isEncrypted(decoded.values());
        if (storedForm || payloads.isPlain(row.type(), version, encrypted)) {
            sink.accept(new RecordedEvent(
                    row.streamId(),
                    row.streamVersion(),
                    row.position(),
                    row.eventId(),
                    row.type(),
                    storedForm
                            ? RawJson.of(new String(row.data(), StandardCharsets.UTF_8))
                            : decodeData(row.type(), row.data(), row.streamVersion(), row.streamId()),
                    decoded.strings(),
                    row.correlationId(),
                    row.causationId(),
                    row.source(),
                    row.recordedAt(),
                    decoded.values()));
            return;
        }
        String where = "in stream '" + row.streamId() + "' at version " + row.streamVersion();
        Map<String, Object> stored = new HashMap<>(decoded.values());
        stored.putAll(decoded.strings());
        for (EventPayloads.Decoded payload :
                payloads.read(row.eventId(), row.type(), version, encrypted, row.data(), where, pageKeys)) {
            sink.accept(new RecordedEvent(
                    row.streamId(),
                    row.streamVersion(),
                    row.position(),
                    payload.eventId(),
                    payload.type(),
                    payload.data(),
                    Map.of(),
                    row.correlationId(),
                    row.causationId(),
                    row.source(),
                    row.recordedAt(),
                    EventPayloads.metadataOf(stored, payload)));
        }
    }

    /**
     * The JSON text of a jsonb column as UTF-8 bytes, read without building a String (the text wire format is the
     * document itself; the binary one, should a driver setting ask for it, adds a version byte of 1 in front).
     */
    private static byte[] jsonBytes(byte[] column) {
        return column.length > 0 && column[0] == 1 ? Arrays.copyOfRange(column, 1, column.length) : column;
    }

    private static byte @Nullable [] jsonBytesOrNull(byte @Nullable [] column) {
        return column == null ? null : jsonBytes(column);
    }

    private Object decodeData(String type, byte[] json, long version, StreamId stream) {
        Optional<Class<?>> target = types.classOf(type);
        if (target.isPresent()) {
            return serializer.deserialize(type, json, target.get());
        }
        return payloads.unknown(
                type, new String(json, StandardCharsets.UTF_8), "in stream '" + stream + "' at version " + version);
    }

    /** Stored metadata: the string values (most metadata), and the other JSON values, both immutable. */
    private record Metadata(Map<String, String> strings, Map<String, Object> values) {
        static final Metadata NONE = new Metadata(Map.of(), Map.of());
    }

    /**
     * Reads a flat JSON object straight into immutable maps (which RecordedEvent keeps as they are); only values that
     * are not strings go through Jackson's general reading.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Metadata decodeMetadata(String type, byte[] json) {
        try {
            return new Metadata(MetadataJson.parse(json), Map.of()); // the common case: every value a string
        } catch (IOException | RuntimeException notFlatStrings) {
            // a value that is not a string (or bad JSON): the general reader below decides
        }
        try (JsonParser parser = METADATA.getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("metadata is not a JSON object");
            }
            List<Map.Entry<String, String>> entries = new ArrayList<>();
            Map<String, Object> values = Map.of();
            String name;
            while ((name = parser.nextFieldName()) != null) {
                JsonToken token = parser.nextToken();
                if (token == JsonToken.VALUE_STRING) {
                    entries.add(Map.entry(name, parser.getText()));
                } else if (token != JsonToken.VALUE_NULL) {
                    if (values.isEmpty()) {
                        values = new HashMap<>();
                    }
                    values.put(name, parser.readValueAs(Object.class));
                }
            }
            return new Metadata(Map.ofEntries(entries.toArray(Map.Entry[]::new)), values);
        } catch (Exception e) {
            throw new EventSerializationException(
                    type, "cannot decode the stored metadata " + new String(json, StandardCharsets.UTF_8), e);
        }
    }
}
