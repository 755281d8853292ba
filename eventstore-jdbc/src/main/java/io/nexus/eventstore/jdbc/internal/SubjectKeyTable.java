package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.eventstore.core.spi.SubjectKey;
import io.nexus.eventstore.json.EventPayloads;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;

/**
 * The per-subject AES keys in {@code subject_keys}. A key is created with {@code INSERT .. ON CONFLICT DO NOTHING} and
 * then read back in a statement of its own: two appends creating the key of one new subject at once both read the one
 * row that won. Each statement commits on its own connection (the store's connections are autocommit), so a key is
 * durable before any event encrypted with it is written, whatever happens to that append.
 *
 * <p>Reads never use a cached key: every read of events looks their keys up in the table (one query per page, {@link
 * #findAll}), so once an erasure has committed no reader in any process decrypts with the key, and nothing (no
 * notification, no pooler setting) has to reach the readers for that. Writes cache a subject's key for {@link
 * #CACHE_TIME}, so appends of one subject's events cost no extra query; an erasure in this process evicts at once, and
 * an event another process appends within that time after an erasure is encrypted with the erased key: it reads
 * masked, never in the clear. Key material never appears in a message: errors name the key id at most.
 */
public final class SubjectKeyTable implements PersonalDataKeys {
    /** How long a subject's key stays cached for appends. */
    public static final Duration CACHE_TIME = Duration.ofSeconds(30);

    private static final int MAX_CACHED = 10_000;

    private record Cached(SubjectKey key, long expiresAt) {}

    private final DataSource dataSource;
    private final String create;
    private final String bySubject;
    private final String byIds;
    private final String erase;
    private final ConcurrentHashMap<String, Cached> bySubjectCache = new ConcurrentHashMap<>();

    public SubjectKeyTable(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.create = "INSERT INTO " + schema + ".subject_keys (key_id, subject, secret) VALUES (?, ?, ?)"
                + " ON CONFLICT (subject) DO NOTHING";
        this.bySubject = "SELECT key_id, secret FROM " + schema + ".subject_keys WHERE subject = ?";
        this.byIds = "SELECT key_id, secret FROM " + schema + ".subject_keys WHERE key_id = ANY (?)";
        // One statement, so the key and the snapshots go together. Snapshots are caches of folds: of a stream that
        // holds the subject's encrypted values (their "nexus:pii:1:<key id>:" prefix), a snapshot holds them in the
        // clear, and the next load folds the events again, the values masked. A scan of the encrypted events, for an
        // operation as rare as an erasure.
        this.erase = """
                WITH erased AS (
                    DELETE FROM %1$s.subject_keys WHERE subject = ? RETURNING key_id
                ), forgotten AS (
                    DELETE FROM %1$s.snapshots n
                    WHERE n.stream_id IN (
                        SELECT e.stream_id FROM %1$s.events e CROSS JOIN erased k
                        WHERE e.metadata -> '%2$s' IS NOT NULL
                          AND strpos(e.data::text, '%3$s' || k.key_id::text || ':') > 0)
                )
                SELECT key_id FROM erased""".formatted(schema, EventPayloads.ENCRYPTED_KEY, EventPayloads.ENCRYPTED_VALUE_PREFIX);
    }

    @Override
    public SubjectKey keyOf(String subject) {
        Cached cached = bySubjectCache.get(subject);
        if (cached != null && cached.expiresAt() - System.nanoTime() > 0) {
            return cached.key();
        }
        try (Connection connection = dataSource.getConnection()) {
            Optional<SubjectKey> key = select(connection, bySubject, subject);
            if (key.isEmpty()) {
                try (PreparedStatement insert = connection.prepareStatement(create)) {
                    insert.setObject(1, UUID.randomUUID());
                    insert.setString(2, subject);
                    insert.setBytes(3, newSecret());
                    insert.executeUpdate();
                }
                // A statement of its own, so it sees the row of a concurrent creator that won the conflict.
                key = select(connection, bySubject, subject);
            }
            SubjectKey found = key.orElseThrow(
                    () -> new IllegalStateException("the key of a data subject was erased while it was being created"));
            remember(found, subject);
            return found;
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not read or create the key of a data subject", e);
        }
    }

    @Override
    public Optional<SubjectKey> find(UUID keyId) {
        return Optional.ofNullable(findAll(List.of(keyId)).get(keyId));
    }

    @Override
    public Map<UUID, SubjectKey> findAll(Collection<UUID> keyIds) {
        if (keyIds.isEmpty()) {
            return Map.of();
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(byIds)) {
            query.setArray(1, connection.createArrayOf("uuid", keyIds.toArray()));
            Map<UUID, SubjectKey> found = new HashMap<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    SubjectKey key = key(rows);
                    found.put(key.id(), key);
                }
            }
            return found;
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not read " + keyIds.size() + " keys of data subjects", e);
        }
    }

    /** Deletes the key of {@code subject} and forgets it here; whether there was one. */
    public boolean erase(String subject) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement delete = connection.prepareStatement(erase)) {
            delete.setString(1, subject);
            boolean erased = false;
            try (ResultSet rows = delete.executeQuery()) {
                erased = rows.next();
            }
            bySubjectCache.remove(subject);
            return erased;
        } catch (SQLException e) {
            throw new EventStoreAccessException("could not erase the key of a data subject", e);
        }
    }

    private void remember(SubjectKey key, String subject) {
        if (bySubjectCache.size() > MAX_CACHED) {
            bySubjectCache.clear();
        }
        bySubjectCache.put(subject, new Cached(key, System.nanoTime() + CACHE_TIME.toNanos()));
    }

    private static Optional<SubjectKey> select(Connection connection, String sql, Object parameter)
            throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setObject(1, parameter);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? Optional.of(key(row)) : Optional.empty();
            }
        }
    }

    private static SubjectKey key(ResultSet row) throws SQLException {
        SecretKey secret = new SecretKeySpec(row.getBytes(2), "AES");
        return new SubjectKey(row.getObject(1, UUID.class), secret);
    }

    private static byte[] newSecret() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256);
            return generator.generateKey().getEncoded();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no AES", e);
        }
    }
}
