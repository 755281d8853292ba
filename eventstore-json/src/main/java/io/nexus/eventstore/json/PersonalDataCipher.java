package io.nexus.eventstore.json;

import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.PersonalData;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.eventstore.core.spi.SubjectKey;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Encrypts the {@link PersonalData} fields of a payload with its {@link DataSubject}'s key (AES-GCM from the JDK), and
 * decrypts them, or masks them when the key is gone. An encrypted value replaces the field's JSON value by a string
 * {@code nexus:pii:1:<key id>:<base64 of nonce and ciphertext>}, so the stored JSON names the key but never the
 * subject; the plaintext is the value's JSON text, so any JSON value can be personal.
 *
 * <p>The nonce is synthetic (an HMAC of the event id, field name and plaintext under a key derived from the subject's):
 * a re-sent event encrypts to the same text, which keeps appends idempotent, and two different plaintexts never share
 * a nonce. The field name is authenticated, so a ciphertext cannot be moved to another field.
 */
final class PersonalDataCipher {
    static final String PREFIX = "nexus:pii:1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] NONCE_KEY_LABEL = "nexus-pii-nonce".getBytes(StandardCharsets.US_ASCII);

    /** The personal fields of a class and how to read its subject; {@code names} empty when it has none. */
    record PersonalFields(List<String> names, @Nullable AccessibleObject subject, String className) {
        boolean any() {
            return !names.isEmpty();
        }

        String subjectOf(Object data) {
            Object value;
            try {
                value = subject instanceof Method accessor
                        ? accessor.invoke(data)
                        : ((Field) java.util.Objects.requireNonNull(subject)).get(data);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read the @DataSubject of " + className, e);
            }
            if (value == null) {
                throw new IllegalArgumentException(
                        "the @DataSubject of " + className + " is null: an event with personal data needs a subject");
            }
            return value.toString();
        }
    }

    private static final ClassValue<PersonalFields> FIELDS = new ClassValue<>() {
        @Override
        protected PersonalFields computeValue(Class<?> type) {
            return personalFields(type);
        }
    };

    private final @Nullable PersonalDataKeys keys;

    PersonalDataCipher(@Nullable PersonalDataKeys keys) {
        this.keys = keys;
    }

    static PersonalFields fieldsOf(Class<?> type) {
        return FIELDS.get(type);
    }

    private static PersonalFields personalFields(Class<?> type) {
        List<String> names = new ArrayList<>();
        List<AccessibleObject> subjects = new ArrayList<>();
        if (type.isRecord()) {
            for (RecordComponent component : type.getRecordComponents()) {
                if (component.isAnnotationPresent(PersonalData.class)) {
                    names.add(component.getName());
                }
                if (component.isAnnotationPresent(DataSubject.class)) {
                    subjects.add(component.getAccessor());
                }
            }
        } else {
            for (Field field : type.getDeclaredFields()) {
                if (field.isAnnotationPresent(PersonalData.class)) {
                    names.add(field.getName());
                }
                if (field.isAnnotationPresent(DataSubject.class)) {
                    subjects.add(field);
                }
            }
        }
        if (names.isEmpty()) {
            return new PersonalFields(List.of(), null, type.getName());
        }
        if (subjects.size() != 1) {
            throw new IllegalArgumentException(type.getName() + " has @PersonalData but " + subjects.size()
                    + " @DataSubject components; it needs exactly one, holding the id of the person");
        }
        AccessibleObject subject = subjects.get(0);
        subject.setAccessible(true);
        return new PersonalFields(List.copyOf(names), subject, type.getName());
    }

    /**
     * Encrypts the personal fields of {@code tree}, the JSON object of {@code data}, in place.
     *
     * @throws IllegalStateException if there is no key store
     */
    void encrypt(PersonalFields fields, Object data, UUID eventId, Map<String, Object> tree, JsonText json) {
        SubjectKey key = requireKeys().keyOf(fields.subjectOf(data));
        for (String name : fields.names()) {
            Object value = tree.get(name);
            if (value != null) {
                tree.put(name, encryptValue(key, eventId, name, json.write(value)));
            }
        }
    }

    /** The subject of each event that encrypts, so their keys exist before the append borrows its connection. */
    void prepareKey(PersonalFields fields, Object data) {
        requireKeys().keyOf(fields.subjectOf(data));
    }

    private PersonalDataKeys requireKeys() {
        if (keys == null) {
            throw new IllegalStateException("an event has @PersonalData but this codec has no PersonalDataKeys:"
                    + " give the store's keys (PostgresEventStore.personalDataKeys()) to whatever writes it");
        }
        return keys;
    }

    /**
     * Decrypts every encrypted value at the top level of {@code tree} in place; values whose key is gone (or that
     * cannot be decrypted without keys) become null.
     *
     * @return whether any value was masked
     */
    boolean decrypt(Map<String, Object> tree, String type, JsonText json) {
        boolean masked = false;
        Map<UUID, Optional<SubjectKey>> found = new HashMap<>(2);
        for (Map.Entry<String, Object> entry : tree.entrySet()) {
            if (!(entry.getValue() instanceof String text) || !text.startsWith(PREFIX)) {
                continue;
            }
            int colon = text.indexOf(':', PREFIX.length());
            UUID keyId = UUID.fromString(text.substring(PREFIX.length(), colon));
            Optional<SubjectKey> key =
                    keys == null ? Optional.empty() : found.computeIfAbsent(keyId, id -> keys.find(id));
            if (key.isEmpty()) {
                entry.setValue(null);
                masked = true;
                continue;
            }
            byte[] sealed = Base64.getDecoder().decode(text.substring(colon + 1));
            entry.setValue(json.read(decryptValue(key.get(), entry.getKey(), sealed, type)));
        }
        return masked;
    }

    private static String encryptValue(SubjectKey key, UUID eventId, String field, byte[] plaintext) {
        try {
            byte[] nonce = nonce(key, eventId, field, plaintext);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(field.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext);
            byte[] out = ByteBuffer.allocate(NONCE_BYTES + sealed.length)
                    .put(nonce)
                    .put(sealed)
                    .array();
            return PREFIX + key.id() + ":" + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            // The message of a JCE failure never holds key material; the key id is not secret.
            throw new IllegalStateException("cannot encrypt field '" + field + "' with key " + key.id(), e);
        }
    }

    private static byte[] decryptValue(SubjectKey key, String field, byte[] sealed, String type) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
            cipher.updateAAD(field.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new EventSerializationException(
                    type, "personal field '" + field + "' does not decrypt with key " + key.id(), e);
        }
    }

    private static byte[] nonce(SubjectKey key, UUID eventId, String field, byte[] plaintext)
            throws GeneralSecurityException {
        Mac derive = Mac.getInstance("HmacSHA256");
        derive.init(new SecretKeySpec(key.secret().getEncoded(), "HmacSHA256"));
        byte[] nonceKey = derive.doFinal(NONCE_KEY_LABEL);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(nonceKey, "HmacSHA256"));
        mac.update(ByteBuffer.allocate(16)
                .putLong(eventId.getMostSignificantBits())
                .putLong(eventId.getLeastSignificantBits())
                .array());
        mac.update(field.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
        return Arrays.copyOf(mac.doFinal(plaintext), NONCE_BYTES);
    }

    /** JSON text of plain Java values, and back; the codec's mapper. */
    interface JsonText {
        byte[] write(Object value);

        @Nullable
        Object read(byte[] json);
    }
}
