package io.nexus.eventstore.core.spi;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Holds the per-subject keys that encrypt {@link io.nexus.eventstore.core.PersonalData}. The PostgreSQL store keeps
 * them in a table of their own; erasing a subject deletes its key, after which {@link #find(UUID)} finds nothing.
 * Implementations must be thread-safe and must never put key material in logs, messages or {@code toString()}.
 */
public interface PersonalDataKeys {
    /**
     * The key of {@code subject}, created on first use. Two callers asking at once for a new subject get the same key.
     *
     * @param subject the subject's id
     * @return its key
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the keys cannot be reached
     */
    SubjectKey keyOf(String subject);

    /**
     * The key with id {@code keyId}.
     *
     * @param keyId a key's id, as stored beside the data it encrypted
     * @return the key, or empty when its subject was erased
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the keys cannot be reached
     */
    Optional<SubjectKey> find(UUID keyId);

    /**
     * The keys with the given ids that still exist, in one look-up where the store can: what a page of events needs.
     * The default asks {@link #find(UUID)} for each.
     *
     * @param keyIds keys' ids
     * @return the keys found, by id; erased ones are absent
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the keys cannot be reached
     */
    default Map<UUID, SubjectKey> findAll(Collection<UUID> keyIds) {
        Map<UUID, SubjectKey> found = new HashMap<>();
        for (UUID keyId : keyIds) {
            find(keyId).ifPresent(key -> found.put(keyId, key));
        }
        return found;
    }
}
