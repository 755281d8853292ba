package io.nexus.eventstore.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks and copies metadata values, which are JSON values in plain Java: {@link String}, {@link Boolean}, numbers,
 * {@link List}s and {@link Map}s with string keys of those. Numbers are normalized so that a value reads back equal
 * to what was written: whole numbers become {@link Long} (or stay {@link BigInteger}), others {@link Double} (or stay
 * {@link BigDecimal}).
 */
final class JsonValues {
    private JsonValues() {}

    /** An immutable deep copy of {@code map}, its values normalized; throws naming the first bad key or value. */
    static Map<String, Object> copyOf(Map<String, ?> map) {
        if (map.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> copy = new HashMap<>(map.size() * 2);
        for (Map.Entry<String, ?> entry : map.entrySet()) {
            String key = entry.getKey();
            if (key == null) {
                throw new IllegalArgumentException("a metadata key is null");
            }
            copy.put(key, value(key, entry.getValue()));
        }
        return Map.copyOf(copy);
    }

    private static Object value(String where, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(
                    "metadata value of '" + where + "' is null: leave the key out instead (JSON values only)");
        }
        if (value instanceof String || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Long || value instanceof BigInteger || value instanceof BigDecimal) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (Double.isNaN(number) || Double.isInfinite(number)) {
                throw new IllegalArgumentException(
                        "metadata value of '" + where + "' is " + number + ", which JSON cannot hold");
            }
            return number;
        }
        if (value instanceof Collection<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            int index = 0;
            for (Object element : list) {
                copy.add(value(where + "[" + index++ + "]", element));
            }
            return List.copyOf(copy);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new HashMap<>(map.size() * 2);
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key)) {
                    throw new IllegalArgumentException(
                            "metadata value of '" + where + "' has a key that is not a string: " + entry.getKey());
                }
                copy.put(key, value(where + "." + key, entry.getValue()));
            }
            return Map.copyOf(copy);
        }
        throw new IllegalArgumentException("metadata value of '" + where + "' is a "
                + value.getClass().getName()
                + "; expected a JSON value: String, Boolean, a number, a List or a Map with String keys");
    }

    /**
     * Merges the string metadata into all metadata values, checking that a key given in both has one value.
     *
     * @return all entries; the very {@code strings} map when there are no other values (the common case, no copy)
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, String> strings, Map<String, Object> values) {
        if (values.isEmpty()) {
            return (Map<String, Object>) (Map<String, ?>) strings;
        }
        if (strings.isEmpty()) {
            return values;
        }
        Map<String, Object> all = new HashMap<>(values);
        strings.forEach((key, value) -> {
            Object other = all.putIfAbsent(key, value);
            if (other != null && !other.equals(value)) {
                throw new IllegalArgumentException("metadata key '" + key + "' is given twice, as '" + value
                        + "' and as " + other + ": give it once");
            }
        });
        return Map.copyOf(all);
    }

    /** The string-valued entries of {@code all}; {@code strings} itself when they are all there already. */
    static Map<String, String> strings(Map<String, Object> all, Map<String, String> strings) {
        if (all.size() == strings.size()) {
            return strings;
        }
        Map<String, String> only = new HashMap<>();
        all.forEach((key, value) -> {
            if (value instanceof String text) {
                only.put(key, text);
            }
        });
        return Map.copyOf(only);
    }
}
