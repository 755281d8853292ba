package io.nexus.eventbus.redis.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.spi.EventSerializer;

/**
 * The relay's default payload serializer, configured like the store's {@code JacksonEventSerializer} (java.time
 * support, ISO dates, unknown properties ignored) so that a relay does not need the JDBC module on its classpath.
 */
public final class JacksonPayloads implements EventSerializer {
    private final ObjectMapper mapper = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

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
    public <T> T deserialize(String type, String json, Class<T> targetClass) {
        try {
            return mapper.readValue(json, targetClass);
        } catch (Exception e) {
            throw new EventSerializationException(type, "cannot decode the payload JSON as " + targetClass.getName(), e);
        }
    }
}
