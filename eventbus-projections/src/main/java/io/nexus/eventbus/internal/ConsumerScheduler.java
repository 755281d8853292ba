package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Drives {@link CheckpointedConsumer}s: one coordinator thread renews and takes their leases every third of the lease
 * duration, waits for the head ({@link HeadSource}), and hands each consumer that is due a turn on the workers; a
 * turn runs batches until the consumer caught up or has had {@value #BATCHES_PER_TURN} (so others get their turn).
 */
public final class ConsumerScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");
    private static final int BATCHES_PER_TURN = 16;

    private final HeadSource heads;
    private final LeasePolicy lease;
    private final Duration flushInterval;
    private final ExecutorService workers;
    private final IntSupplier ownershipLimit;
    private final List<CheckpointedConsumer> consumers = new CopyOnWriteArrayList<>();
    private final Thread coordinator;
    private volatile boolean closed;

    /**
     * A scheduler that runs turns on {@code workers}, which it shuts down on {@link #close()}.
     *
     * @param flushInterval the longest wait for the head between two looks at the consumers
     */
    public ConsumerScheduler(
            String threadName, HeadSource heads, LeasePolicy lease, Duration flushInterval, ExecutorService workers) {
        this(threadName, heads, lease, flushInterval, workers, () -> Integer.MAX_VALUE);
    }

    /**
     * A scheduler whose consumers together hold at most {@code ownershipLimit} leases: it takes no more, and gives
     * surplus leases back at its next tick when the limit falls (another process joined and should get a share).
     *
     * @param ownershipLimit read at every tick; cheap and non-blocking
     */
    public ConsumerScheduler(
            String threadName,
            HeadSource heads,
            LeasePolicy lease,
            Duration flushInterval,
            ExecutorService workers,
            IntSupplier ownershipLimit) {
        this.ownershipLimit = requireNonNull(ownershipLimit, "ownershipLimit");
        this.heads = requireNonNull(heads, "heads");
        this.lease = requireNonNull(lease, "lease");
        this.flushInterval = requireNonNull(flushInterval, "flushInterval");
        this.workers = requireNonNull(workers, "workers");
        this.coordinator = new Thread(this::coordinate, threadName);
        coordinator.setDaemon(true);
        coordinator.start();
    }

    /** Starts driving {@code consumer}: tries its lease at once, on the calling thread, then on every tick. */
    public void add(CheckpointedConsumer consumer) {
        if (closed) {
            throw new IllegalStateException("the scheduler is closed");
        }
        consumer.tick(owned() < ownershipLimit.getAsInt());
        consumers.add(consumer);
        schedule(consumer);
    }

    /**
     * Stops driving {@code consumer}: waits for its turn in flight to end (it stops after the event being delivered),
     * then releases its lease.
     */
    public void remove(CheckpointedConsumer consumer) {
        consumer.stop();
        consumers.remove(consumer);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer.busy.get()
                && consumer.turnThread != Thread.currentThread()
                && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        consumer.release();
        consumer.closed();
    }

    /** Gives {@code consumer} a turn now if it is due and not in one. */
    public void schedule(CheckpointedConsumer consumer) {
        if (!closed && consumer.isDue() && consumer.busy.compareAndSet(false, true)) {
            try {
                workers.execute(() -> turn(consumer));
            } catch (RejectedExecutionException e) {
                consumer.busy.set(false);
            }
        }
    }

    /** Stops the coordinator and every consumer (turns in flight end first) and releases their leases. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        consumers.forEach(CheckpointedConsumer::stop);
        coordinator.interrupt();
        try {
            if (coordinator != Thread.currentThread()) {
                coordinator.join(10_000);
            }
            workers.shutdown();
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "consumer turns did not finish within 30 s");
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        for (CheckpointedConsumer consumer : consumers) {
            consumer.release();
            consumer.closed();
        }
        consumers.clear();
    }

    private void turn(CheckpointedConsumer consumer) {
        consumer.turnThread = Thread.currentThread();
        try {
            for (int i = 0; i < BATCHES_PER_TURN && !closed; i++) {
                if (consumer.runBatch() == CheckpointedConsumer.Next.DONE) {
                    break;
                }
            }
        } finally {
            consumer.turnThread = null;
            consumer.busy.set(false);
        }
        schedule(consumer);
    }

    private int owned() {
        return (int) consumers.stream().filter(c -> c.token() != 0).count();
    }

    /** Renews the leases held, takes free ones up to the ownership limit, and gives back any above it. */
    private void tickAll() {
        int limit = ownershipLimit.getAsInt();
        List<CheckpointedConsumer> all = List.copyOf(consumers);
        int owned = owned();
        for (CheckpointedConsumer consumer : all) {
            boolean held = consumer.token() != 0;
            consumer.tick(owned < limit);
            boolean holds = consumer.token() != 0;
            owned += (holds ? 1 : 0) - (held ? 1 : 0);
        }
        // From the end, so that the first consumers stay where they are as processes come and go.
        for (int i = all.size() - 1; i >= 0 && owned > limit; i--) {
            if (all.get(i).yieldLease()) {
                owned--;
            }
        }
    }

    private void coordinate() {
        long renewNanos = lease.renewNanos();
        long nextTick = System.nanoTime() + renewNanos;
        long seenHead = heads.knownHead();
        while (!closed) {
            try {
                if (System.nanoTime() - nextTick >= 0) {
                    tickAll();
                    nextTick = System.nanoTime() + renewNanos;
                }
                long wait = Math.min(Math.max(1, nextTick - System.nanoTime()), flushInterval.toNanos());
                seenHead = heads.awaitHeadAbove(seenHead, Duration.ofNanos(wait));
                consumers.forEach(this::schedule);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.log(Level.WARNING, "consumer coordinator failed; retrying", e);
                try {
                    Thread.sleep(Math.min(renewNanos / 1_000_000, 500));
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}
