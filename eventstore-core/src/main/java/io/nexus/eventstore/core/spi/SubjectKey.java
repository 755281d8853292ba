package io.nexus.eventstore.core.spi;

import static java.util.Objects.requireNonNull;

import java.util.UUID;
import javax.crypto.SecretKey;

/**
 * A subject's AES key and its id. The id is stored beside every value the key encrypts; the key itself lives only in
 * the key table. {@link #toString()} shows the id, never the key.
 */
public final class SubjectKey {
    private final UUID id;
    private final SecretKey secret;

    /**
     * Wraps a key.
     *
     * @param id the key's id
     * @param secret the AES key
     */
    public SubjectKey(UUID id, SecretKey secret) {
        this.id = requireNonNull(id, "id");
        this.secret = requireNonNull(secret, "secret");
    }

    /** {@return the key's id} */
    public UUID id() {
        return id;
    }

    /** {@return the AES key; never log it} */
    public SecretKey secret() {
        return secret;
    }

    @Override
    public String toString() {
        return "SubjectKey[id=" + id + "]";
    }
}
