package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The lazily paged reads of {@link EventStore}: each iterator reads one page through the store's page reads when the
 * page before it is used up, and keeps no other. A page shorter than the page size is the last.
 */
final class PagedEvents implements Iterable<RecordedEvent> {
    /** Reads the pages of one iteration; a fresh one per iterator, so it may keep what it learned on its first page. */
    @FunctionalInterface
    interface PageReader {
        /** The page after {@code last}, or the first page when {@code last} is null; at most {@code size} events. */
        List<RecordedEvent> pageAfter(@Nullable RecordedEvent last, int size);
    }

    private final int pageSize;
    private final Supplier<PageReader> readers;

    private PagedEvents(int pageSize, Supplier<PageReader> readers) {
        this.pageSize = pageSize;
        this.readers = readers;
    }

    static PagedEvents forward(EventStore store, StreamId streamId, long fromVersion, int pageSize) {
        checkPageSize(pageSize);
        ReadArguments.checkStreamRead(streamId, fromVersion, pageSize);
        return new PagedEvents(
                pageSize,
                () -> (last, size) ->
                        store.readStream(streamId, last == null ? fromVersion : last.streamVersion() + 1, size));
    }

    static PagedEvents backward(EventStore store, StreamId streamId, long fromVersion, int pageSize) {
        checkPageSize(pageSize);
        ReadArguments.checkStreamRead(streamId, fromVersion, pageSize);
        return new PagedEvents(pageSize, () -> (last, size) -> {
            long from = last == null ? fromVersion : last.streamVersion() - 1;
            return from < 1 ? List.of() : store.readStreamBackward(streamId, from, size);
        });
    }

    static PagedEvents global(EventStore store, long fromPosition, EventFilter filter, int pageSize) {
        checkPageSize(pageSize);
        ReadArguments.checkPage(fromPosition, pageSize);
        requireNonNull(filter, "filter");
        return new PagedEvents(pageSize, () -> new PageReader() {
            private long head = -1;

            @Override
            public List<RecordedEvent> pageAfter(@Nullable RecordedEvent last, int size) {
                // The head is read with the first page, not when the iterable is made: an iterable kept and iterated
                // again later reads up to the head of that later moment.
                if (head < 0) {
                    head = store.headPosition();
                }
                long from = last == null ? Math.max(fromPosition, 1) : last.position() + 1;
                return from > head ? List.of() : store.readAllUpTo(from, head, size, filter);
            }
        });
    }

    private static void checkPageSize(int pageSize) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be >= 1, was " + pageSize);
        }
    }

    @Override
    public Iterator<RecordedEvent> iterator() {
        return new PageIterator(readers.get());
    }

    private final class PageIterator implements Iterator<RecordedEvent> {
        private final PageReader reader;
        private List<RecordedEvent> page = List.of();
        private int index;
        private @Nullable RecordedEvent last;
        private boolean atEnd;

        PageIterator(PageReader reader) {
            this.reader = reader;
        }

        @Override
        public boolean hasNext() {
            if (index < page.size()) {
                return true;
            }
            if (atEnd) {
                return false;
            }
            // Nothing changes before the read returns, so a read that throws can be retried by calling hasNext again.
            List<RecordedEvent> next = reader.pageAfter(last, pageSize);
            page = next;
            index = 0;
            atEnd = next.size() < pageSize;
            if (!next.isEmpty()) {
                last = next.get(next.size() - 1);
            }
            return !next.isEmpty();
        }

        @Override
        public RecordedEvent next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more events: the read reached its end");
            }
            return page.get(index++);
        }
    }
}
