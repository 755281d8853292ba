package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.spi.PersonalDataKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Decodes fetched rows into events, large batches on two threads at once: the caller's and a helper of the store's
 * own (never a shared pool). Decoding (Jackson) is most of a read's client CPU, several times what fetching the rows
 * costs the client, so one thread decoding leaves the second core idle while the server has nothing left to do. Both
 * threads take slices of the batch from one counter, so neither waits for the other unless it is the last slice;
 * every event is decoded by {@link EventCodec#decode}, the one place decoding happens, whichever thread runs it.
 */
final class PageDecoder implements AutoCloseable {
    /** Smaller batches decode on the caller alone: handing work over costs more than it saves. */
    static final int MIN_PARALLEL_ROWS = 128;
    /** Rows a thread takes at a time. */
    private static final int SLICE_ROWS = 32;

    private final EventCodec codec;
    private final ExecutorService helpers;

    PageDecoder(EventCodec codec, String name) {
        this.codec = codec;
        this.helpers = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "nexus-decode-" + name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The events {@code rows} hold, in the same order; a row that cannot be decoded fails the whole batch. */
    List<RecordedEvent> decode(List<StoredEvent> rows) {
        PersonalDataKeys keys = codec.pageKeys(rows);
        if (rows.size() < MIN_PARALLEL_ROWS) {
            List<RecordedEvent> events = new ArrayList<>(rows.size());
            for (StoredEvent row : rows) {
                codec.decode(row, events::add, keys);
            }
            return events;
        }
        Batch batch = new Batch(rows, keys);
        Future<?> helper = startHelper(batch);
        batch.decodeSlices();
        if (helper != null) {
            PipelinedFetch.awaitQuietly(helper); // its failure, if any, is in the batch
        }
        return batch.events();
    }

    private @Nullable Future<?> startHelper(Batch batch) {
        try {
            return helpers.submit(batch::decodeSlices);
        } catch (RejectedExecutionException e) {
            return null; // the store is closed while a caller-owned pool still serves reads: decode alone
        }
    }

    /** One batch's rows, the events decoded so far, and the first failure by position. */
    private final class Batch {
        private final List<StoredEvent> rows;
        private final @Nullable PersonalDataKeys keys;
        /** Per row: its one event, or (an upcaster split the row) a {@code List} of its events. */
        private final Object[] events;

        private final AtomicInteger nextSlice = new AtomicInteger();
        private @Nullable Throwable failure;
        private int failedAt = Integer.MAX_VALUE;

        Batch(List<StoredEvent> rows, @Nullable PersonalDataKeys keys) {
            this.rows = rows;
            this.keys = keys;
            this.events = new Object[rows.size()];
        }

        void decodeSlices() {
            int start;
            while ((start = nextSlice.getAndAdd(SLICE_ROWS)) < events.length && !failed()) {
                int end = Math.min(start + SLICE_ROWS, events.length);
                for (int i = start; i < end; i++) {
                    try {
                        int row = i;
                        codec.decode(rows.get(i), event -> keep(row, event), keys);
                    } catch (RuntimeException | Error e) {
                        fail(i, e);
                        return;
                    }
                }
            }
        }

        @SuppressWarnings("unchecked")
        private void keep(int row, RecordedEvent event) {
            Object kept = events[row];
            if (kept == null) {
                events[row] = event;
            } else if (kept instanceof List<?> list) {
                ((List<RecordedEvent>) list).add(event);
            } else {
                List<RecordedEvent> parts = new ArrayList<>(2);
                parts.add((RecordedEvent) kept);
                parts.add(event);
                events[row] = parts;
            }
        }

        private synchronized boolean failed() {
            return failure != null;
        }

        /** Keeps the failure of the earliest row, the one a decoding from the start would have met. */
        private synchronized void fail(int row, Throwable e) {
            if (row < failedAt) {
                failedAt = row;
                failure = e;
            }
        }

        /** Called after both threads are done (the helper's future establishes that its writes are visible). */
        synchronized List<RecordedEvent> events() {
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            List<RecordedEvent> decoded = new ArrayList<>(events.length);
            for (Object kept : events) {
                if (kept instanceof RecordedEvent event) {
                    decoded.add(event);
                } else if (kept != null) { // null: an upcaster turned the row into no event
                    @SuppressWarnings("unchecked")
                    List<RecordedEvent> parts = (List<RecordedEvent>) kept;
                    decoded.addAll(parts);
                }
            }
            return decoded;
        }
    }

    @Override
    public void close() {
        helpers.shutdown();
    }
}
