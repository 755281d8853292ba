package io.nexus.eventbus.internal;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.DurableSubscription;
import io.nexus.eventbus.EventListener;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.jdbc.HeadWatch;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;

/**
 * The consumer of one durable subscription in this process: one thread that takes the subscription's lease, reads
 * the global order from the stored checkpoint in batches, hands matching events to the listener with retries, dead-
 * letters what keeps failing, and advances the checkpoint with a compare-and-set on the fencing token.
 *
 * <p>Why a lease and not an advisory lock: a lease needs no connection held for the subscription's lifetime (so it
 * works behind PgBouncer in transaction mode), and its fencing token makes every write of a deposed owner fail.
 */
public final class DurableWorker implements DurableSubscription {
    private static final System.Logger LOG = System.getLogger("io.nexus.eventbus");
    private static final int MAX_ERROR_LENGTH = 8_000;
    private static final long MIN_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final long MAX_RETRY_DELAY_NANOS = TimeUnit.HOURS.toNanos(1);

    /** What one subscription consumes and how. */
    public record Settings(
            String name,
            String owner,
            TypePattern pattern,
            Set<String> categories,
            EventListener listener,
            BusConfig config,
            Duration leaseDuration) {
        public Settings {
            requireNonNull(name, "name");
            requireNonNull(owner, "owner");
            requireNonNull(pattern, "pattern");
            categories = Set.copyOf(categories);
            requireNonNull(listener, "listener");
            requireNonNull(config, "config");
            requireNonNull(leaseDuration, "leaseDuration");
        }
    }

    private enum Outcome {
        HANDLED,
        DEAD_LETTERED,
        LEASE_LOST
    }

    private record Redelivery(long deadLetterId, CompletableFuture<Boolean> result) {}

    private final Settings settings;
    private final EventStore store;
    private final Jdbi jdbi;
    private final SubscriptionSql sql;
    private final HeadWatch notifications;
    private final BusMetrics metrics;
    private final Runnable onClose;
    private final EventFilter filter;
    private final long renewNanos;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Redelivery> redeliveries = new ConcurrentLinkedQueue<>();
    private final Runnable removeLagGauge;
    private volatile boolean closed;
    private volatile boolean active;
    private volatile long position;
    private final ScheduledFuture<?> heartbeat;
    // Written by the worker thread, read by the keeper's heartbeat.
    private volatile long storedPosition;
    private volatile long token;
    private volatile boolean lost;

    private DurableWorker(
            Settings settings,
            EventStore store,
            Jdbi jdbi,
            SubscriptionSql sql,
            HeadWatch notifications,
            BusMetrics metrics,
            ScheduledExecutorService keeper,
            Runnable onClose) {
        this.settings = settings;
        this.store = store;
        this.jdbi = jdbi;
        this.sql = sql;
        this.notifications = notifications;
        this.metrics = metrics;
        this.onClose = onClose;
        // Exact types and categories are filtered by the database; wildcards are matched here.
        Set<String> types = settings.pattern() instanceof TypePattern.Exact exact ? Set.of(exact.pattern()) : Set.of();
        this.filter = new EventFilter(types, settings.categories());
        this.renewNanos = settings.leaseDuration().toNanos() / 3;
        this.thread = new Thread(this::run, "nexus-subscription-" + settings.name());
        thread.setDaemon(true);
        this.removeLagGauge =
                metrics.lag(settings.name(), () -> Math.max(0, notifications.knownHead() - position));
        // The lease is renewed apart from handling, so a slow listener does not lose it; a dead process stops renewing.
        this.heartbeat = keeper.scheduleWithFixedDelay(this::heartbeat, renewNanos, renewNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Creates the subscription's row if it is new (checkpoint 0: it starts at the beginning of the global order) and
     * starts consuming on a daemon thread.
     *
     * @throws IllegalArgumentException if the name belongs to a projection
     */
    public static DurableWorker start(
            Settings settings,
            EventStore store,
            Jdbi jdbi,
            SubscriptionSql sql,
            HeadWatch notifications,
            BusMetrics metrics,
            ScheduledExecutorService keeper,
            Runnable onClose) {
        String kind = jdbi.withHandle(handle -> {
            handle.createUpdate(sql.insert).bind("name", settings.name()).execute();
            return handle.createQuery(sql.kind).bind("name", settings.name()).mapTo(String.class).one();
        });
        if (!kind.equals("subscription")) {
            throw new IllegalArgumentException(
                    "'" + settings.name() + "' is a " + kind + ", not a durable subscription: choose another name");
        }
        DurableWorker worker = new DurableWorker(settings, store, jdbi, sql, notifications, metrics, keeper, onClose);
        worker.thread.start();
        return worker;
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public boolean isActive() {
        return active;
    }

    /**
     * Asks this consumer to re-deliver dead letter {@code deadLetterId}: the future completes with true when the
     * listener handled it (the dead letter is then deleted), false when it failed again (the dead letter stays, with
     * its attempts and error updated).
     */
    public CompletableFuture<Boolean> redeliver(long deadLetterId) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        if (!active || closed) {
            result.completeExceptionally(new IllegalStateException("durable subscription '" + name()
                    + "' is not consumed by this process right now (another process holds its lease, or it is closed)"));
            return result;
        }
        redeliveries.add(new Redelivery(deadLetterId, result));
        return result;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (thread != Thread.currentThread()) {
            try {
                thread.join(settings.leaseDuration().toMillis() + settings.config().flushInterval().toMillis() + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        heartbeat.cancel(false);
        removeLagGauge.run();
        onClose.run();
    }

    private void run() {
        long backoff = MIN_BACKOFF_MILLIS;
        while (!closed) {
            try {
                if (acquire()) {
                    consume();
                } else {
                    sleep(TimeUnit.NANOSECONDS.toMillis(renewNanos));
                }
                backoff = MIN_BACKOFF_MILLIS;
            } catch (RuntimeException e) {
                if (closed) {
                    break;
                }
                deactivate();
                LOG.log(Level.WARNING, "durable subscription '" + name() + "' failed to reach the database; retrying in "
                        + backoff + " ms from its checkpoint", e);
                sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
        release();
        Redelivery pending;
        while ((pending = redeliveries.poll()) != null) {
            pending.result().completeExceptionally(new IllegalStateException("durable subscription '" + name() + "' closed"));
        }
    }

    private boolean acquire() {
        Optional<long[]> lease = jdbi.withHandle(handle -> handle.createQuery(sql.acquire)
                .bind("name", name())
                .bind("owner", settings.owner())
                .bind("millis", settings.leaseDuration().toMillis())
                .map((rows, ctx) -> new long[] {rows.getLong("fencing_token"), rows.getLong("position")})
                .findOne());
        if (lease.isEmpty()) {
            return false;
        }
        token = lease.get()[0];
        storedPosition = lease.get()[1];
        position = storedPosition;
        lost = false;
        if (!active) {
            active = true;
            metrics.leaseAcquired();
            LOG.log(Level.DEBUG, () -> "durable subscription '" + name() + "' acquired by " + settings.owner()
                    + " with fencing token " + token + " at checkpoint " + storedPosition);
        }
        return true;
    }

    private void deactivate() {
        if (active) {
            active = false;
            metrics.leaseReleased();
        }
    }

    /** Consumes until closed or the lease is lost; database failures propagate. */
    private void consume() {
        long waitNanos = Math.min(settings.config().flushInterval().toNanos(), renewNanos);
        while (!closed) {
            if (!redeliverPending()) {
                leaseLost();
                return;
            }
            long head = notifications.knownHead();
            if (head <= position) {
                head = awaitHead(waitNanos);
            }
            if (head > position && !closed && !consumeBatch(head)) {
                leaseLost();
                return;
            }
            if (lost) {
                leaseLost();
                return;
            }
        }
    }

    /** Renews the lease on the keeper thread; marks it lost when another process holds it now. */
    private void heartbeat() {
        if (closed || !active || lost) {
            return;
        }
        try {
            if (!renew()) {
                lost = true;
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "could not renew the lease of '" + name() + "'; retrying at the next heartbeat", e);
        }
    }

    private long awaitHead(long waitNanos) {
        try {
            return notifications.awaitHeadAbove(position, Duration.ofNanos(waitNanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
            return position;
        }
    }

    private void leaseLost() {
        deactivate();
        LOG.log(Level.INFO, "durable subscription '" + name() + "': " + settings.owner()
                + " lost its lease (another process took over); it will retry");
    }

    /** One batch after the checkpoint; {@code head} was known before the read. Returns false if the lease is lost. */
    private boolean consumeBatch(long head) {
        int batchSize = settings.config().batchSize();
        // Up to the known head, which is ordered already: one query, however many events the filter skips.
        List<RecordedEvent> batch = store.readAllUpTo(position + 1, head, batchSize, filter);
        boolean interrupted = false;
        for (RecordedEvent event : batch) {
            if (lost) {
                return false;
            }
            if (closed) {
                interrupted = true;
                break;
            }
            if (settings.pattern().matches(event.type()) && deliver(event) == Outcome.LEASE_LOST) {
                return false;
            }
            position = event.position();
        }
        // A short page holds every matching event up to the head read before it: the rest up to there did not match.
        long next = !interrupted && batch.size() < batchSize ? Math.max(position, head) : position;
        if (next > storedPosition && !checkpoint(next)) {
            return false;
        }
        position = next;
        return true;
    }

    private Outcome deliver(RecordedEvent event) {
        BusConfig config = settings.config();
        long delayNanos = config.retryDelay().toNanos();
        for (int attempts = 1; ; attempts++) {
            long start = System.nanoTime();
            try {
                Dispatcher.handleAsCurrent(event, settings.listener());
                metrics.processed(name(), event.type(), System.nanoTime() - start);
                return Outcome.HANDLED;
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) { // an AssertionError in a handler is a failure like any other
                String error = describe(event, attempts, e);
                recordError(error);
                if (attempts > config.retryAttempts()) {
                    deadLetter(event, attempts, error);
                    metrics.deadLettered(name());
                    LOG.log(Level.WARNING, "durable subscription '" + name() + "' dead-lettered event "
                            + event.eventId() + " at position " + event.position() + " after " + attempts + " attempts", e);
                    return Outcome.DEAD_LETTERED;
                }
                metrics.retried(name());
                if (!sleepWhileLeased(delayNanos)) {
                    return Outcome.LEASE_LOST;
                }
                if (config.exponentialBackoff()) {
                    delayNanos = Math.min(delayNanos * 2, MAX_RETRY_DELAY_NANOS);
                }
            }
        }
    }

    /** Handles queued re-delivery requests; returns false if the lease was lost meanwhile. */
    private boolean redeliverPending() {
        Redelivery request;
        while ((request = redeliveries.poll()) != null) {
            try {
                Outcome outcome = redeliver(request);
                if (outcome == Outcome.LEASE_LOST) {
                    request.result().completeExceptionally(
                            new IllegalStateException("durable subscription '" + name() + "' lost its lease"));
                    return false;
                }
                request.result().complete(outcome == Outcome.HANDLED);
            } catch (RuntimeException e) {
                request.result().completeExceptionally(e);
                throw e;
            }
        }
        return true;
    }

    private Outcome redeliver(Redelivery request) {
        long id = request.deadLetterId();
        Optional<Long> deadPosition = jdbi.withHandle(handle -> handle.createQuery(sql.deadLetterPosition)
                .bind("id", id)
                .bind("name", name())
                .mapTo(Long.class)
                .findOne());
        if (deadPosition.isEmpty()) {
            throw new IllegalArgumentException("no dead letter " + id + " of durable subscription '" + name() + "'");
        }
        List<RecordedEvent> events = store.readAll(deadPosition.get(), 1, EventFilter.ALL);
        if (events.isEmpty() || events.get(0).position() != deadPosition.get()) {
            throw new IllegalStateException("the event of dead letter " + id + " is no longer in the store");
        }
        Outcome outcome = deliver(events.get(0));
        if (outcome == Outcome.HANDLED) {
            jdbi.useHandle(handle -> handle.createUpdate(sql.deleteDeadLetter).bind("id", id).execute());
        }
        return outcome;
    }

    /** Sleeps; returns false if closed or the lease was lost meanwhile. */
    private boolean sleepWhileLeased(long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (!closed && !lost) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)))));
        }
        return false;
    }

    private boolean checkpoint(long next) {
        boolean kept = fenced(sql.checkpoint, next);
        if (kept) {
            storedPosition = next;
        }
        return kept;
    }

    private boolean renew() {
        return fenced(sql.renew, storedPosition);
    }

    /** Runs a statement that succeeds only while this worker still holds the lease; renews it. */
    private boolean fenced(String statement, long newPosition) {
        int rows = jdbi.withHandle(handle -> handle.createUpdate(statement)
                .bind("name", name())
                .bind("owner", settings.owner())
                .bind("token", token)
                .bind("position", newPosition)
                .bind("millis", settings.leaseDuration().toMillis())
                .execute());
        return rows == 1;
    }

    private void recordError(String error) {
        jdbi.useHandle(handle -> handle.createUpdate(sql.recordError)
                .bind("name", name())
                .bind("token", token)
                .bind("error", error)
                .execute());
    }

    private void deadLetter(RecordedEvent event, int attempts, String error) {
        jdbi.useHandle(handle -> handle.createUpdate(sql.deadLetter)
                .bind("name", name())
                .bind("position", event.position())
                .bind("eventId", event.eventId())
                .bind("streamId", event.streamId().value())
                .bind("type", event.type())
                .bind("attempts", attempts)
                .bind("error", error)
                .execute());
    }

    private void release() {
        boolean wasActive = active;
        deactivate();
        if (!wasActive) {
            return;
        }
        try {
            jdbi.useHandle(handle -> handle.createUpdate(sql.release)
                    .bind("name", name())
                    .bind("owner", settings.owner())
                    .bind("token", token)
                    .execute());
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "could not release the lease of '" + name() + "'; it expires by itself", e);
        }
    }

    private static String describe(RecordedEvent event, int attempt, Throwable error) {
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        String text = "event " + event.eventId() + " (" + event.type() + ") at position " + event.position()
                + ", attempt " + attempt + ": " + trace;
        return text.length() <= MAX_ERROR_LENGTH ? text : text.substring(0, MAX_ERROR_LENGTH);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
