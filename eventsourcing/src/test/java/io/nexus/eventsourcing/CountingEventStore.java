package io.nexus.eventsourcing;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** A real store that counts the events its stream reads return: how many events a load read. */
final class CountingEventStore implements EventStore {
    private final EventStore delegate;
    private final AtomicLong eventsRead = new AtomicLong();

    CountingEventStore(EventStore delegate) {
        this.delegate = delegate;
    }

    /** {@return the events read since the last call, and starts counting again} */
    long takeEventsRead() {
        return eventsRead.getAndSet(0);
    }

    @Override
    public AppendResult append(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
        return delegate.append(streamId, expectedVersion, events);
    }

    @Override
    public List<AppendResult> appendAll(List<StreamAppend> appends) {
        return delegate.appendAll(appends);
    }

    @Override
    public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int maxCount) {
        List<RecordedEvent> page = delegate.readStream(streamId, fromVersion, maxCount);
        eventsRead.addAndGet(page.size());
        return page;
    }

    @Override
    public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int maxCount) {
        List<RecordedEvent> page = delegate.readStreamBackward(streamId, fromVersion, maxCount);
        eventsRead.addAndGet(page.size());
        return page;
    }

    @Override
    public long streamVersion(StreamId streamId) {
        return delegate.streamVersion(streamId);
    }

    @Override
    public void deleteStream(StreamId streamId, ExpectedVersion expectedVersion) {
        delegate.deleteStream(streamId, expectedVersion);
    }

    @Override
    public long removedEvents(long fromPosition, long toPosition) {
        return delegate.removedEvents(fromPosition, toPosition);
    }

    @Override
    public List<RecordedEvent> readAll(long fromPosition, int maxCount, EventFilter filter) {
        return delegate.readAll(fromPosition, maxCount, filter);
    }

    @Override
    public long headPosition() {
        return delegate.headPosition();
    }

    @Override
    public Optional<Long> positionOf(long commitId) {
        return delegate.positionOf(commitId);
    }
}
