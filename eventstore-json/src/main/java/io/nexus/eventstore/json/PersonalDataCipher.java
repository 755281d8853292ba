package io.nexus.eventstore.json;

import io.nexus.eventstore.core.DataSubject;
import io.nexus.eventstore.core.EventSerializationException;
import io.nexus.eventstore.core.PersonalData;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import io.nexus.eventstore.core.spi.SubjectKey;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Encrypts the {@link PersonalData} fields of a payload with its {@link DataSubject}'s key (AES-GCM from the JDK), and
 * decrypts them, or masks them when the key is gone. Personal fields are found through the payload class's declared
 * types: its own components, and those of the records and classes it holds, directly or as elements of lists, sets,
 * arrays and values of maps, at any depth. An encrypted value replaces the field's JSON value by a string {@code
 * nexus:pii:1:<key id>:<base64 of nonce and ciphertext>}, so the stored JSON names the key but never the subject; the
 * plaintext is the value's JSON text, so any JSON value can be personal.
 *
 * <p>The nonce is synthetic (an HMAC of the event id, the field's path and plaintext under a key derived from the
 * subject's): a re-sent event encrypts to the same text, which keeps appends idempotent, and two different plaintexts
 * never share a nonce. The field's path in the payload ({@code email}, {@code customer.email}, {@code
 * addresses[].street}) is authenticated, so a ciphertext cannot be moved to another field.
 */
final class PersonalDataCipher {
    static final String PREFIX = "nexus:pii:1:";
    private static final BytePattern PREFIX_BYTES = new BytePattern(PREFIX.getBytes(StandardCharsets.US_ASCII));
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] NONCE_KEY_LABEL = "nexus-pii-nonce".getBytes(StandardCharsets.US_ASCII);

    /** Where personal values sit in a payload's JSON: the value itself, fields of an object, or each element. */
    private sealed interface Node {}

    /** The whole value is personal. */
    private record Leaf() implements Node {}

    /** Fields of a JSON object (a record or class), by JSON property name. */
    private record Fields(Map<String, Node> fields) implements Node {}

    /** Every element of a JSON array (a collection or array), or every value of a JSON object (a map). */
    private record Each(Node element) implements Node {}

    private static final Leaf LEAF = new Leaf();

    /**
     * The personal fields of a class and how to read its subject; {@code root} empty when it has none. {@code open}:
     * some component is declared as {@code Object}, an interface, an abstract class or a type variable, so what it
     * holds is only known at run time (see {@link #refuseHidden}).
     */
    record PersonalFields(Map<String, Node> root, @Nullable AccessibleObject subject, String className, boolean open) {
        boolean any() {
            return !root.isEmpty();
        }

        String subjectOf(Object data) {
            Object value;
            try {
                value = subject instanceof Method accessor
                        ? accessor.invoke(data)
                        : ((Field) Objects.requireNonNull(subject)).get(data);
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

    /**
     * The personal fields of {@code type}, found once per class.
     *
     * @throws IllegalArgumentException if it has personal data but not exactly one top-level data subject
     */
    static PersonalFields fieldsOf(Class<?> type) {
        return FIELDS.get(type);
    }

    private static PersonalFields personalFields(Class<?> type) {
        Scan scan = new Scan();
        Map<String, Node> root = scan.fields(type);
        // A payload that is itself a collection, map or array holds whatever its elements are.
        boolean open = scan.open
                || Collection.class.isAssignableFrom(type)
                || Map.class.isAssignableFrom(type)
                || type.isArray();
        if (root.isEmpty()) {
            return new PersonalFields(Map.of(), null, type.getName(), open);
        }
        List<AccessibleObject> subjects = new ArrayList<>();
        for (Member member : members(type)) {
            if (member.element().isAnnotationPresent(DataSubject.class)) {
                subjects.add(member.accessor());
            }
        }
        if (subjects.size() != 1) {
            throw new IllegalArgumentException(type.getName() + " has @PersonalData but " + subjects.size()
                    + " top-level @DataSubject components; it needs exactly one, holding the id of the person");
        }
        AccessibleObject subject = subjects.get(0);
        subject.setAccessible(true);
        return new PersonalFields(root, subject, type.getName(), open);
    }

    /** A component of a record, or a field of a class, with what reads it. */
    private record Member(String name, AnnotatedElement element, AccessibleObject accessor, Type type) {}

    private static List<Member> members(Class<?> type) {
        List<Member> members = new ArrayList<>();
        if (type.isRecord()) {
            for (RecordComponent component : type.getRecordComponents()) {
                members.add(new Member(
                        component.getName(), component, component.getAccessor(), component.getGenericType()));
            }
            return members;
        }
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (!Modifier.isStatic(field.getModifiers()) && !field.isSynthetic()) {
                    members.add(new Member(field.getName(), field, field, field.getGenericType()));
                }
            }
        }
        return members;
    }

    /** One class's scan of its declared types: where personal values sit, and whether some type is open. */
    private static final class Scan {
        private final Set<Class<?>> visiting = new HashSet<>();
        private boolean open;

        /** The personal fields of a class's JSON object, by property name; empty when it holds none. */
        Map<String, Node> fields(Class<?> type) {
            if (!isPayloadClass(type) || !visiting.add(type)) {
                return Map.of();
            }
            Map<String, Node> fields = new LinkedHashMap<>();
            for (Member member : members(type)) {
                if (member.element().isAnnotationPresent(PersonalData.class)) {
                    fields.put(member.name(), LEAF);
                } else {
                    Node nested = node(member.type());
                    if (nested != null) {
                        fields.put(member.name(), nested);
                    }
                }
            }
            visiting.remove(type);
            return fields.isEmpty() ? Map.of() : Map.copyOf(fields);
        }

        /** Where personal values sit in a value of declared type {@code type}; null when nowhere. */
        private @Nullable Node node(Type type) {
            if (type instanceof Class<?> c) {
                if (c.isArray()) {
                    return each(node(c.getComponentType()));
                }
                open |= isOpen(c);
                Map<String, Node> fields = fields(c);
                return fields.isEmpty() ? null : new Fields(fields);
            }
            if (type instanceof GenericArrayType array) {
                return each(node(array.getGenericComponentType()));
            }
            if (type instanceof ParameterizedType parameterized && parameterized.getRawType() instanceof Class<?> raw) {
                Type[] arguments = parameterized.getActualTypeArguments();
                if (Optional.class == raw) {
                    return node(arguments[0]);
                }
                if (Collection.class.isAssignableFrom(raw)) {
                    return each(node(arguments[0]));
                }
                if (Map.class.isAssignableFrom(raw)) {
                    return each(node(arguments[1]));
                }
                return node(raw);
            }
            open = true; // a type variable or a wildcard
            return null;
        }

        private static @Nullable Node each(@Nullable Node element) {
            return element == null ? null : new Each(element);
        }

        /** A declared type whose values may be of classes this scan does not see. */
        private static boolean isOpen(Class<?> type) {
            if (type == Object.class) {
                return true;
            }
            boolean abstractType = type.isInterface() || Modifier.isAbstract(type.getModifiers());
            return abstractType && !type.isPrimitive() && !type.getName().startsWith("java.");
        }
    }

    /**
     * Refuses a payload that holds personal data where its declared types do not say so (a component declared as
     * {@code Object} or an interface holding a record with {@link PersonalData}): it could not be encrypted, and
     * nothing personal may be stored in the clear. Walks the payload only for classes with open components.
     *
     * @throws EventSerializationException naming the component and the class it holds
     */
    static void refuseHidden(String type, PersonalFields fields, Object data) {
        if (fields.open()) {
            Node expected = fields.any() ? new Fields(fields.root()) : null;
            refuseHidden(type, data, expected, fields.className(), Collections.newSetFromMap(new IdentityHashMap<>()));
        }
    }

    private static void refuseHidden(
            String type, @Nullable Object value, @Nullable Node expected, String path, Set<Object> seen) {
        if (value == null || expected instanceof Leaf || !seen.add(value)) {
            return;
        }
        Node element = expected instanceof Each each ? each.element() : null;
        if (value instanceof Collection<?> values) {
            values.forEach(v -> refuseHidden(type, v, element, path + "[]", seen));
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> refuseHidden(type, v, element, path + "." + k, seen));
        } else if (value instanceof Object[] array) {
            Arrays.stream(array).forEach(v -> refuseHidden(type, v, element, path + "[]", seen));
        } else if (value instanceof Optional<?> optional) {
            refuseHidden(type, optional.orElse(null), expected, path, seen);
        } else if (isPayloadClass(value.getClass())) {
            refuseHiddenIn(type, value, expected instanceof Fields f ? f.fields() : Map.of(), path, seen);
        }
    }

    /** {@code value}, an object of the application's, expected to hold personal values where {@code expected} says. */
    private static void refuseHiddenIn(
            String type, Object value, Map<String, Node> expected, String path, Set<Object> seen) {
        if (expected.isEmpty() && !new Scan().fields(value.getClass()).isEmpty()) {
            throw new EventSerializationException(
                    type,
                    path + " holds a " + value.getClass().getName() + ", which has @PersonalData, but is not declared"
                            + " as that type (it is an Object, an interface, an abstract class or a type variable):"
                            + " declare the concrete type so that its personal data can be encrypted");
        }
        for (Member member : members(value.getClass())) {
            Object memberValue;
            try {
                member.accessor().setAccessible(true);
                memberValue = member.accessor() instanceof Method accessor
                        ? accessor.invoke(value)
                        : ((Field) member.accessor()).get(value);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue; // not readable here, so the serializer did not read it this way either
            }
            refuseHidden(type, memberValue, expected.get(member.name()), path + "." + member.name(), seen);
        }
    }

    /** A class whose components may hold personal data: the application's, not the JDK's values. */
    private static boolean isPayloadClass(Class<?> type) {
        return !type.isPrimitive()
                && !type.isEnum()
                && !type.isInterface()
                && !type.getName().startsWith("java.")
                && !type.getName().startsWith("javax.");
    }

    /**
     * Encrypts the personal fields of {@code tree}, the JSON object of {@code data}, in place.
     *
     * @throws IllegalStateException if there is no key store
     */
    void encrypt(PersonalFields fields, Object data, UUID eventId, Map<String, Object> tree, JsonText json) {
        SubjectKey key = requireKeys().keyOf(fields.subjectOf(data));
        encryptFields(fields.root(), tree, "", key, eventId, json);
    }

    private static void encryptFields(
            Map<String, Node> fields,
            Map<String, Object> object,
            String path,
            SubjectKey key,
            UUID eventId,
            JsonText json) {
        for (Map.Entry<String, Node> field : fields.entrySet()) {
            String name = field.getKey();
            Object value = object.get(name);
            if (value != null) {
                object.put(
                        name,
                        encryptNode(
                                field.getValue(),
                                value,
                                path.isEmpty() ? name : path + "." + name,
                                key,
                                eventId,
                                json));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Object encryptNode(
            Node node, Object value, String path, SubjectKey key, UUID eventId, JsonText json) {
        if (node instanceof Leaf) {
            return encryptValue(key, eventId, path, json.write(value));
        }
        if (node instanceof Fields fields) {
            if (value instanceof Map<?, ?> object) {
                encryptFields(fields.fields(), (Map<String, Object>) object, path, key, eventId, json);
            }
            return value;
        }
        Node element = ((Each) node).element();
        if (value instanceof List<?> list) {
            ListIterator<Object> each = ((List<Object>) list).listIterator();
            while (each.hasNext()) {
                Object next = each.next();
                if (next != null) {
                    each.set(encryptNode(element, next, path + "[]", key, eventId, json));
                }
            }
        } else if (value instanceof Map<?, ?> object) {
            for (Map.Entry<String, Object> entry : ((Map<String, Object>) object).entrySet()) {
                if (entry.getValue() != null) {
                    entry.setValue(
                            encryptNode(element, entry.getValue(), path + "." + entry.getKey(), key, eventId, json));
                }
            }
        }
        return value;
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
     * Decrypts every encrypted value in {@code tree}, at any depth, in place, with this cipher's keys; see {@link
     * #decrypt(Map, String, JsonText, PersonalDataKeys)}.
     */
    boolean decrypt(Map<String, Object> tree, String type, JsonText json) {
        return decrypt(tree, type, json, keys);
    }

    /**
     * Decrypts every encrypted value in {@code tree}, at any depth, in place; values whose key is gone (or that cannot
     * be decrypted without keys) become null.
     *
     * @param with the keys to decrypt with; null for none
     * @return whether any value was masked
     */
    boolean decrypt(Map<String, Object> tree, String type, JsonText json, @Nullable PersonalDataKeys with) {
        Decryption decryption = new Decryption(type, json, with);
        decryption.object(tree, "");
        return decryption.masked;
    }

    /** One payload's decryption: the keys met so far, and whether a value was masked. */
    private static final class Decryption {
        private final String type;
        private final JsonText json;
        private final @Nullable PersonalDataKeys keys;
        private final Map<UUID, Optional<SubjectKey>> found = new HashMap<>(2);
        private boolean masked;

        Decryption(String type, JsonText json, @Nullable PersonalDataKeys keys) {
            this.type = type;
            this.json = json;
            this.keys = keys;
        }

        @SuppressWarnings("unchecked")
        void object(Map<String, Object> object, String path) {
            for (Map.Entry<String, Object> entry : object.entrySet()) {
                String name = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
                entry.setValue(value(entry.getValue(), name));
            }
        }

        @SuppressWarnings("unchecked")
        private @Nullable Object value(@Nullable Object value, String path) {
            if (value instanceof String text && text.startsWith(PREFIX)) {
                return decrypted(text, path);
            }
            if (value instanceof Map<?, ?> object) {
                object((Map<String, Object>) object, path);
            } else if (value instanceof List<?> list) {
                ListIterator<Object> each = ((List<Object>) list).listIterator();
                while (each.hasNext()) {
                    each.set(value(each.next(), path + "[]"));
                }
            }
            return value;
        }

        private @Nullable Object decrypted(String text, String path) {
            int colon = text.indexOf(':', PREFIX.length());
            UUID keyId = UUID.fromString(text.substring(PREFIX.length(), colon));
            Optional<SubjectKey> key = keys == null ? Optional.empty() : found.computeIfAbsent(keyId, keys::find);
            if (key.isEmpty()) {
                masked = true;
                return null;
            }
            byte[] sealed = Base64.getDecoder().decode(text.substring(colon + 1));
            return json.read(decryptValue(key.get(), path, sealed, type));
        }
    }

    /**
     * The ids of the keys that encrypted values in {@code json}, a stored payload: what a page of events needs, so
     * they can be read in one query.
     */
    static void keyIdsIn(byte[] json, Set<UUID> into) {
        int prefixLength = PREFIX.length();
        int uuidLength = 36;
        for (int i = PREFIX_BYTES.indexIn(json, 0); i >= 0; i = PREFIX_BYTES.indexIn(json, i + prefixLength)) {
            int start = i + prefixLength;
            if (start + uuidLength <= json.length) {
                into.add(UUID.fromString(new String(json, start, uuidLength, StandardCharsets.US_ASCII)));
            }
        }
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
