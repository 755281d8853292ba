package io.nexus.eventstore.jdbc.internal;

import io.nexus.eventstore.core.EventStoreAccessException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.result.ResultIterator;
import org.jdbi.v3.core.statement.Query;

/**
 * Runs a large read as two overlapping halves: a fetch thread pulls rows from the database in chunks through a cursor
 * while the calling thread decodes the chunks already fetched (with a helper, see {@link PageDecoder}). Decoding (Jackson) costs the client about as much as
 * producing the rows costs the server, and one after the other they leave one of the two idle; overlapped, a large
 * page takes little more than the longer of the two. Reads asking for fewer than {@link #MIN_ROWS} rows (every page
 * of the default size) run as a plain query: measured per event, the cursor's fetch cost the client about twice the
 * CPU of a plain query (a transaction around it, a round trip and a thread hand-off per chunk), and with decoding
 * already on two threads (see {@link PageDecoder}) overlapping it with the fetch bought less than that cost.
 *
 * <p>The fetch thread uses the caller's handle while the caller waits on the chunks, never both at once, and the
 * caller does not return before the fetch has finished with the handle.
 */
final class PipelinedFetch implements AutoCloseable {
    /**
     * Reads asking for fewer rows are one plain query, held in memory at once (a few MB at most): the cursor pays off
     * only where bounded memory needs it, for reads asking for more (up to {@code Integer.MAX_VALUE}).
     */
    static final int MIN_ROWS = 5_000;
    /** Rows per cursor round trip, and per batch the decoder splits over two threads: each costs thread hand-offs. */
    static final int CHUNK_ROWS = 500;

    private static final Object END = new Object();

    private final ExecutorService fetchThreads;

    PipelinedFetch(String name) {
        this.fetchThreads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "nexus-fetch-" + name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Runs {@code query} (which asks for up to {@code max} rows) on {@code handle}, handing the fetched rows to {@code
     * decode} on the calling thread, chunk after chunk, in order.
     */
    void fetch(Handle handle, Query query, int max, EventCodec codec, Consumer<List<StoredEvent>> decode) {
        if (max < MIN_ROWS || fetchThreads.isShutdown()) {
            // Small, or the store is closed (its fetch threads with it) while a caller-owned pool still serves reads.
            decode.accept(query.map(codec.rowCopier()).list());
            return;
        }
        // Unbounded, so the fetch thread never waits for the decoder; it holds at most one page, and is not sized
        // by max up front (callers may ask for Integer.MAX_VALUE events).
        BlockingQueue<Object> chunks = new LinkedBlockingQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Future<?> fetch = fetchThreads.submit(() -> {
            try {
                fetchChunks(handle, query, codec, chunks, stop);
                chunks.add(END);
            } catch (RuntimeException | Error e) {
                chunks.add(e);
            }
        });
        try {
            drain(chunks, decode);
        } finally {
            stop.set(true);
            awaitQuietly(fetch);
        }
    }

    private static void fetchChunks(
            Handle handle, Query query, EventCodec codec, BlockingQueue<Object> chunks, AtomicBoolean stop) {
        // pgjdbc streams through a cursor only inside a transaction; a read-only one costs just the COMMIT.
        boolean ownTransaction = !handle.isInTransaction();
        if (ownTransaction) {
            handle.begin();
        }
        try {
            try (ResultIterator<StoredEvent> rows =
                    query.setFetchSize(CHUNK_ROWS).map(codec.rowCopier()).iterator()) {
                List<StoredEvent> chunk = new ArrayList<>(CHUNK_ROWS);
                while (!stop.get() && rows.hasNext()) {
                    chunk.add(rows.next());
                    if (chunk.size() == CHUNK_ROWS) {
                        chunks.add(chunk);
                        chunk = new ArrayList<>(CHUNK_ROWS);
                    }
                }
                chunks.add(chunk);
            }
            if (ownTransaction) {
                handle.commit();
            }
        } catch (RuntimeException | Error e) {
            if (ownTransaction) {
                rollbackQuietly(handle, e);
            }
            throw e;
        }
    }

    private static void rollbackQuietly(Handle handle, Throwable failure) {
        try {
            handle.rollback();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static void drain(BlockingQueue<Object> chunks, Consumer<List<StoredEvent>> decode) {
        while (true) {
            Object next;
            try {
                next = chunks.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EventStoreAccessException("interrupted while reading events", e);
            }
            if (next == END) {
                return;
            }
            if (next instanceof RuntimeException e) {
                throw e;
            }
            if (next instanceof Error e) {
                throw e;
            }
            decode.accept((List<StoredEvent>) next);
        }
    }

    /**
     * Waits for {@code task} to end, ignoring its failure (the caller learns of it another way) and keeping an
     * interrupt for after the wait: the fetch's, which must let go of the handle, and the decoder helper's.
     */
    static void awaitQuietly(Future<?> task) {
        boolean interrupted = false;
        while (true) {
            try {
                task.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        fetchThreads.shutdown();
    }
}
