package io.nexus.eventstore.json;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.spi.EventSerializer;

/**
 * The default {@link EventSerializer}: Jackson, with {@code java.time} support, Blackbird's generated accessors, ISO dates and unknown properties
 * ignored on read (so adding a field to an event does not break readers of older versions). Thread-safe.
 */
public final class JacksonEventSerializer implements EventSerializer {
    private final ObjectMapper mapper;
    private final ClassValue<ObjectReader> readers = new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
            return mapper.readerFor(type);
        }
    };

    private JacksonEventSerializer(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** {@return a serializer with the default mapper described above} */
    public static JacksonEventSerializer create() {
        return new JacksonEventSerializer(defaultMapper());
    }

    /**
     * Makes a serializer on the application's own mapper.
     *
     * @param mapper the mapper, which must not be reconfigured afterwards
     * @return the serializer
     */
    public static JacksonEventSerializer of(ObjectMapper mapper) {
        return new JacksonEventSerializer(requireNonNull(mapper, "mapper"));
    }

    /** {@return the mapper {@link #create()} uses; a fresh instance each call} */
    public static ObjectMapper defaultMapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                .registerModule(new BlackbirdModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    @Override
    public String serialize(String type, Object data) {
        try {
            return mapper.writeValueAsString(data);
        } catch (Exception e) {
            throw new EventSerializationException(
                    type, "cannot serialize a " + data.getClass().getName() + " to JSON", e);
        }
    }

    @Override
    public <T> T deserialize(String type, byte[] utf8Json, Class<T> targetClass) {
        try {
            return readers.get(targetClass).readValue(utf8Json);
        } catch (Exception e) {
            throw new EventSerializationException(type, "cannot decode the stored JSON as " + targetClass.getName(), e);
        }
    }

    @Override
    public <T> T deserialize(String type, String json, Class<T> targetClass) {
        try {
            return readers.get(targetClass).readValue(json);
        } catch (Exception e) {
            throw new EventSerializationException(type, "cannot decode the stored JSON as " + targetClass.getName(), e);
        }
    }
}
