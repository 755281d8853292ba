package io.nexus.eventstore.core.contract;

import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.eventstore.core.spi.SubjectKey;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.KeyGenerator;

/**
 * Subjects' keys in memory, shared by the parts of a test (a publisher and its consumers) as the store's key table is
 * shared by the processes of one application; {@link #eraseSubject} deletes a key as the store's erasure does.
 */
public final class TestPersonalDataKeys implements PersonalDataKeys {
    private final Map<String, SubjectKey> bySubject = new ConcurrentHashMap<>();

    @Override
    public SubjectKey keyOf(String subject) {
        return bySubject.computeIfAbsent(subject, s -> {
            try {
                KeyGenerator generator = KeyGenerator.getInstance("AES");
                generator.init(256);
                return new SubjectKey(UUID.randomUUID(), generator.generateKey());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Override
    public Optional<SubjectKey> find(UUID keyId) {
        return bySubject.values().stream().filter(key -> key.id().equals(keyId)).findFirst();
    }

    /** Deletes the key of {@code subject}: what was encrypted with it can no longer be read. */
    public void eraseSubject(String subject) {
        bySubject.remove(subject);
    }
}
