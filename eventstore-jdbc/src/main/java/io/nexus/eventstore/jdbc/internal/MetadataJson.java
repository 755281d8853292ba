package io.nexus.eventstore.jdbc.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Reads stored metadata, a flat JSON object of string values (what {@code jsonb} prints: {@code {"a": "x", "b":
 * "y"}}), straight from its UTF-8 bytes into an immutable map. A Jackson parser per event cost more to set up than to
 * run: metadata decoding was a quarter of a read's decoding samples (JFR, catch-up), this a fraction of that. Anything
 * but an object of strings is an {@link IOException} naming what was found.
 */
final class MetadataJson {
    private final byte[] json;
    private int at;

    private MetadataJson(byte[] json) {
        this.json = json;
    }

    /** The object in {@code json} as an immutable map. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Map<String, String> parse(byte[] json) throws IOException {
        MetadataJson reader = new MetadataJson(json);
        reader.expect('{');
        // Keys and values alternate; metadata maps are small, so a plain array grown by doubling.
        String[] pairs = new String[16];
        int size = 0;
        if (reader.peek() == '}') {
            reader.at++;
        } else {
            while (true) {
                if (size == pairs.length) {
                    pairs = Arrays.copyOf(pairs, size * 2);
                }
                pairs[size++] = reader.string("a field name");
                reader.expect(':');
                pairs[size++] = reader.string("a string value");
                byte next = reader.peek();
                reader.at++;
                if (next == '}') {
                    break;
                }
                if (next != ',') {
                    throw reader.unexpected("',' or '}'", next);
                }
            }
        }
        if (reader.peek() != 0) {
            throw reader.unexpected("the end of the document", reader.peek());
        }
        Map.Entry[] entries = new Map.Entry[size / 2];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = Map.entry(pairs[2 * i], pairs[2 * i + 1]);
        }
        return Map.ofEntries(entries);
    }

    /** The next byte after white space, 0 at the end. */
    private byte peek() {
        while (at < json.length) {
            byte b = json[at];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return b;
            }
            at++;
        }
        return 0;
    }

    private void expect(char expected) throws IOException {
        byte next = peek();
        if (next != expected) {
            throw unexpected("'" + expected + "'", next);
        }
        at++;
    }

    private String string(String what) throws IOException {
        byte first = peek();
        if (first != '"') {
            throw unexpected(what, first);
        }
        int start = ++at;
        while (at < json.length) {
            byte b = json[at];
            if (b == '"') {
                return new String(json, start, at++ - start, StandardCharsets.UTF_8);
            }
            if (b == '\\') {
                return escapedString(start);
            }
            at++;
        }
        throw new IOException("unterminated string at byte " + start);
    }

    /** The rest of a string that holds an escape, from its first byte at {@code start}. */
    private String escapedString(int start) throws IOException {
        StringBuilder text = new StringBuilder(new String(json, start, at - start, StandardCharsets.UTF_8));
        int plain = at;
        while (at < json.length) {
            byte b = json[at];
            if (b == '"') {
                text.append(new String(json, plain, at++ - plain, StandardCharsets.UTF_8));
                return text.toString();
            }
            if (b != '\\') {
                at++;
                continue;
            }
            text.append(new String(json, plain, at - plain, StandardCharsets.UTF_8));
            if (at + 1 >= json.length) {
                break;
            }
            byte escaped = json[at + 1];
            at += 2;
            switch (escaped) {
                case '"' -> text.append('"');
                case '\\' -> text.append('\\');
                case '/' -> text.append('/');
                case 'b' -> text.append('\b');
                case 'f' -> text.append('\f');
                case 'n' -> text.append('\n');
                case 'r' -> text.append('\r');
                case 't' -> text.append('\t');
                case 'u' -> text.append(hexChar());
                default -> throw new IOException("invalid escape '\\" + (char) escaped + "' at byte " + (at - 2));
            }
            plain = at;
        }
        throw new IOException("unterminated string at byte " + start);
    }

    private char hexChar() throws IOException {
        if (at + 4 > json.length) {
            throw new IOException("truncated \\u escape at byte " + (at - 2));
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(json[at + i], 16);
            if (digit < 0) {
                throw new IOException("invalid \\u escape at byte " + (at - 2));
            }
            value = value * 16 + digit;
        }
        at += 4;
        return (char) value;
    }

    private IOException unexpected(String expected, byte found) {
        return new IOException("expected " + expected + " at byte " + at + ", found "
                + (found == 0 ? "the end" : "'" + (char) (found & 0xff) + "'"));
    }
}
