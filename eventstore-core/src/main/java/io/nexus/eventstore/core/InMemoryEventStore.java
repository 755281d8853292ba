package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * An {@link EventStore} kept in memory, with the same semantics as the PostgreSQL store: versions, expected-version
 * checks, idempotent re-sends, atomic multi-stream appends and a global order. Payloads are kept as given, not
 * serialized. For unit tests and the event bus's {@code memory} backend; nothing survives the process.
 *
 * <p>Thread-safe: every operation takes one lock, so appends are serialized.
 */
public final class InMemoryEventStore implements EventStore {
    private final Clock clock;
    private final Map<StreamId, List<RecordedEvent>> streams = new HashMap<>();
    private final List<RecordedEvent> all = new ArrayList<>();
    private final Map<UUID, Stored> byEventId = new HashMap<>();
    private final Map<Long, Long> lastPositionByCommit = new HashMap<>();
    private final Map<StreamId, Tombstone> deleted = new HashMap<>();
    private long lastCommitId;

    private record Stored(RecordedEvent event, long commitId) {}

    private record Tombstone(long version, Instant at) {}

    private InMemoryEventStore(Clock clock) {
        this.clock = clock;
    }

    /** {@return an empty store stamping events with the system clock} */
    public static InMemoryEventStore create() {
        return new InMemoryEventStore(Clock.systemUTC());
    }

    @Override
    public AppendResult append(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        return appendAll(List.of(StreamAppend.of(streamId, expectedVersion, events)))
                .get(0);
    }

    @Override
    public synchronized List<AppendResult> appendAll(List<StreamAppend> appends) {
        requireNonNull(appends, "appends");
        StreamAppend.checkBatch(appends);
        List<AppendResult> results = new ArrayList<>();
        List<StreamAppend> toWrite = new ArrayList<>();
        for (StreamAppend append : appends) {
            Optional<AppendResult> resent = earlierIdenticalAppend(append);
            if (resent.isPresent()) {
                results.add(resent.get());
            } else {
                results.add(null);
                toWrite.add(append);
            }
        }
        if (toWrite.isEmpty()) {
            return List.copyOf(results);
        }
        long commitId = ++lastCommitId;
        Instant now = clock.instant();
        List<AppendResult> written = new ArrayList<>();
        for (StreamAppend append : toWrite) {
            written.add(write(append, commitId, now));
        }
        lastPositionByCommit.put(commitId, (long) all.size());
        for (int i = 0, w = 0; i < results.size(); i++) {
            if (results.get(i) == null) {
                results.set(i, written.get(w++));
            }
        }
        return List.copyOf(results);
    }

    /** The earlier append this one re-sends, or empty when it is new; throws when it conflicts. */
    private Optional<AppendResult> earlierIdenticalAppend(StreamAppend append) {
        refuseIfDeleted(append.streamId());
        List<NewEvent> events = append.events();
        long version = version(append.streamId());
        Set<UUID> seen = new HashSet<>();
        UUID firstStored = null; // the first of the batch's ids stored already, if any
        for (NewEvent event : events) {
            if (!seen.add(event.eventId())) {
                throw new DuplicateEventException(event.eventId(), "it appears twice in one append");
            }
            if (firstStored == null && byEventId.containsKey(event.eventId())) {
                firstStored = event.eventId();
            }
        }
        if (firstStored == null) {
            if (!append.expectedVersion().isSatisfiedBy(version)) {
                throw new WrongExpectedVersionException(append.streamId(), append.expectedVersion(), version);
            }
            return Optional.empty();
        }
        Stored first = byEventId.get(events.get(0).eventId());
        if (first == null || !first.event().streamId().equals(append.streamId())) {
            throw new DuplicateEventException(firstStored, "stored in another stream or append");
        }
        long firstVersion = first.event().streamVersion();
        if (!isResendOf(append.expectedVersion(), firstVersion)) {
            throw new DuplicateEventException(
                    first.event().eventId(),
                    "stored at version " + firstVersion + ", not where " + append.expectedVersion() + " would put it");
        }
        List<RecordedEvent> stream = streams.getOrDefault(append.streamId(), List.of());
        for (int i = 0; i < events.size(); i++) {
            NewEvent event = events.get(i);
            int index = (int) (firstVersion - 1 + i);
            RecordedEvent stored = index < stream.size() ? stream.get(index) : null;
            if (stored == null || !stored.eventId().equals(event.eventId()) || !sameContent(stored, event)) {
                throw new DuplicateEventException(event.eventId(), "the stored event differs from the one re-sent");
            }
        }
        return Optional.of(
                new AppendResult(append.streamId(), firstVersion, firstVersion + events.size() - 1, first.commitId()));
    }

    static boolean isResendOf(ExpectedVersion expected, long storedFirstVersion) {
        if (expected instanceof ExpectedVersion.Any) {
            return true;
        } else if (expected instanceof ExpectedVersion.NoStream) {
            return storedFirstVersion == 1;
        } else if (expected instanceof ExpectedVersion.StreamExists) {
            return storedFirstVersion > 1;
        } else if (expected instanceof ExpectedVersion.Exactly exactly) {
            return storedFirstVersion == exactly.version() + 1;
        }
        throw new AssertionError("unknown expected version " + expected);
    }

    private static boolean sameContent(RecordedEvent stored, NewEvent event) {
        return stored.type().equals(event.type())
                && stored.data().equals(event.data())
                && stored.metadataValues().equals(event.metadataValues());
    }

    private AppendResult write(StreamAppend append, long commitId, Instant now) {
        List<RecordedEvent> stream = streams.computeIfAbsent(append.streamId(), id -> new ArrayList<>());
        long firstVersion = stream.size() + 1L;
        for (NewEvent event : append.events()) {
            RecordedEvent recorded = new RecordedEvent(
                    append.streamId(),
                    stream.size() + 1,
                    all.size() + 1,
                    event.eventId(),
                    event.type(),
                    event.data(),
                    event.metadata(),
                    event.correlationId(),
                    event.causationId(),
                    event.source(),
                    now,
                    event.metadataValues());
            stream.add(recorded);
            all.add(recorded);
            byEventId.put(event.eventId(), new Stored(recorded, commitId));
        }
        return new AppendResult(append.streamId(), firstVersion, stream.size(), commitId);
    }

    @Override
    public synchronized void deleteStream(StreamId streamId, ExpectedVersion expectedVersion) {
        requireNonNull(streamId, "streamId");
        requireNonNull(expectedVersion, "expectedVersion");
        refuseIfDeleted(streamId);
        long version = version(streamId);
        if (!expectedVersion.isSatisfiedBy(version)) {
            throw new WrongExpectedVersionException(streamId, expectedVersion, version);
        }
        deleted.put(streamId, new Tombstone(version, clock.instant()));
    }

    private void refuseIfDeleted(StreamId streamId) {
        Tombstone tombstone = deleted.get(streamId);
        if (tombstone != null) {
            throw new StreamDeletedException(streamId, tombstone.version(), tombstone.at());
        }
    }

    private long version(StreamId streamId) {
        return streams.getOrDefault(streamId, List.of()).size();
    }

    @Override
    public synchronized List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int maxCount) {
        ReadArguments.checkStreamRead(streamId, fromVersion, maxCount);
        refuseIfDeleted(streamId);
        List<RecordedEvent> stream = streams.getOrDefault(streamId, List.of());
        int from = (int) Math.min(Math.max(fromVersion, 1) - 1, stream.size());
        return List.copyOf(stream.subList(from, Math.min(stream.size(), from + maxCount)));
    }

    @Override
    public synchronized List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int maxCount) {
        ReadArguments.checkStreamRead(streamId, fromVersion, maxCount);
        refuseIfDeleted(streamId);
        List<RecordedEvent> stream = streams.getOrDefault(streamId, List.of());
        List<RecordedEvent> page = new ArrayList<>();
        for (int i = (int) Math.min(fromVersion, stream.size()) - 1; i >= 0 && page.size() < maxCount; i--) {
            page.add(stream.get(i));
        }
        return List.copyOf(page);
    }

    @Override
    public synchronized long streamVersion(StreamId streamId) {
        requireNonNull(streamId, "streamId");
        refuseIfDeleted(streamId);
        return version(streamId);
    }

    @Override
    public synchronized List<RecordedEvent> readAll(long fromPosition, int maxCount, EventFilter filter) {
        ReadArguments.checkPage(fromPosition, maxCount);
        requireNonNull(filter, "filter");
        List<RecordedEvent> page = new ArrayList<>();
        for (int i = (int) Math.max(fromPosition - 1, 0); i < all.size() && page.size() < maxCount; i++) {
            RecordedEvent event = all.get(i);
            if (filter.matches(event.type(), event.category())) {
                page.add(event);
            }
        }
        return List.copyOf(page);
    }

    @Override
    public synchronized long headPosition() {
        return all.size();
    }

    @Override
    public synchronized Optional<Long> positionOf(long commitId) {
        return Optional.ofNullable(lastPositionByCommit.get(commitId));
    }
}
