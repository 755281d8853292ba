package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.StreamId;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An event row as fetched, payload and metadata still JSON: fetching and decoding are separate steps, so a page can
 * be checked (is every event ordered?) before anything is decoded, and a large page can be decoded in parallel.
 * {@code position} is 0 when the event has committed but has no position yet.
 */
// A row carrier between fetch and decode, never compared or hashed; arrays spare a copy of every payload.
@SuppressWarnings("ArrayRecordComponent")
record StoredEvent(
        StreamId streamId,
        long streamVersion,
        long position,
        UUID eventId,
        String type,
        byte[] data,
        byte @Nullable [] metadata,
        @Nullable UUID correlationId,
        @Nullable UUID causationId,
        @Nullable String source,
        Instant recordedAt) {}
