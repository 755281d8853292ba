package io.nexus.eventbus.internal;

import io.nexus.eventstore.core.RecordedEvent;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The positions an in-memory reader dispatched recently, to check them after a database failure. Positions are
 * assigned by a commit that does not wait for its WAL flush (ADR 0001); a crash can take back the last fraction of a
 * second of them, and the same positions may then go to other events. A durable checkpoint cannot run ahead of what
 * survived (its own flush covers the positions it saw), but an in-memory position can; comparing the recent
 * dispatches with the order as it stands now finds where it changed. Not thread-safe: one reader thread owns it.
 */
public final class RecentDispatches {
    /** Far longer than the WAL writer's flush delay (3 × 200 ms by default). */
    private static final long WINDOW_NANOS = 10_000_000_000L;

    private static final int MAX_ENTRIES = 20_000;

    private record Dispatch(long position, UUID eventId, long at) {}

    private final ArrayDeque<Dispatch> recent = new ArrayDeque<>();

    /** Remembers that {@code event} was dispatched. */
    public void add(RecordedEvent event) {
        long now = System.nanoTime();
        recent.addLast(new Dispatch(event.position(), event.eventId(), now));
        while (!recent.isEmpty()
                && (recent.size() > MAX_ENTRIES || now - recent.peekFirst().at() > WINDOW_NANOS)) {
            recent.removeFirst();
        }
    }

    /** The oldest remembered position, if any. */
    public OptionalLong oldestPosition() {
        return recent.isEmpty()
                ? OptionalLong.empty()
                : OptionalLong.of(recent.peekFirst().position());
    }

    /** How many dispatches are remembered. */
    public int size() {
        return recent.size();
    }

    /**
     * The first remembered position that now holds another event (or none), given the global order read from
     * {@link #oldestPosition()}; forgets it and everything after. Empty when every remembered position still holds
     * the event that was dispatched from it.
     */
    public OptionalLong firstChanged(List<RecordedEvent> current) {
        Map<Long, UUID> now = new HashMap<>();
        for (RecordedEvent event : current) {
            now.put(event.position(), event.eventId());
        }
        long changed = -1;
        for (Dispatch dispatch : recent) {
            if (!dispatch.eventId().equals(now.get(dispatch.position()))) {
                changed = dispatch.position();
                break;
            }
        }
        if (changed < 0) {
            return OptionalLong.empty();
        }
        final long from = changed;
        recent.removeIf(dispatch -> dispatch.position() >= from);
        return OptionalLong.of(changed);
    }
}
