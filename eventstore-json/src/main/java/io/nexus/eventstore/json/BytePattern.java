package io.nexus.eventstore.json;

import java.util.Arrays;

/**
 * A fixed byte string to find in UTF-8 JSON, by Boyer-Moore-Horspool: a page read looks for the encryption mark in
 * every row's metadata before decoding, on the reading thread alone, and a byte-by-byte search there was about a tenth
 * of a 1,000-event stream read's client CPU (JFR). Horspool compares the pattern's last byte and, on a mismatch, skips
 * by up to the pattern's length.
 */
final class BytePattern {
    private final byte[] pattern;
    /** Per byte value: how far the window moves when the byte under the window's last position is that value. */
    private final int[] shift = new int[256];

    BytePattern(byte[] pattern) {
        if (pattern.length == 0) {
            throw new IllegalArgumentException("the pattern is empty");
        }
        this.pattern = pattern.clone();
        Arrays.fill(shift, pattern.length);
        for (int i = 0; i < pattern.length - 1; i++) {
            shift[pattern[i] & 0xff] = pattern.length - 1 - i;
        }
    }

    /** The first index at or after {@code from} where the pattern starts in {@code bytes}, or -1. */
    int indexIn(byte[] bytes, int from) {
        int last = pattern.length - 1;
        int i = Math.max(from, 0);
        while (i <= bytes.length - pattern.length) {
            byte end = bytes[i + last];
            if (end == pattern[last] && matchesAt(bytes, i)) {
                return i;
            }
            i += shift[end & 0xff];
        }
        return -1;
    }

    private boolean matchesAt(byte[] bytes, int at) {
        for (int j = 0; j < pattern.length - 1; j++) {
            if (bytes[at + j] != pattern[j]) {
                return false;
            }
        }
        return true;
    }
}
