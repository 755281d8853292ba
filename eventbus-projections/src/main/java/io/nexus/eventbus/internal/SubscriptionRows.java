package io.nexus.eventbus.internal;

import io.nexus.eventbus.DeadLetter;
import io.nexus.eventbus.ProjectionStatus;
import io.nexus.eventbus.SubscriptionName;
import io.nexus.eventbus.SubscriptionStatus;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * All SQL on {@code subscriptions} and {@code dead_letters}, with the schema substituted once (the store validated
 * it): the rows of durable subscriptions and projections alike, their leases, checkpoints and dead letters. Lease
 * times are the server's {@code now()}, never this process's clock. Every write of an owner carries its fencing
 * token, so an owner whose lease was taken over (a zombie) writes nothing.
 */
public final class SubscriptionRows {
    /** A lease held: the fencing token it was granted with, and the row's checkpoint and status at that moment. */
    public record Lease(long fencingToken, long position, String status) {}

    /** A re-delivery asked for and not yet run: the dead letter, its event's position and id, and when it was asked for. */
    public record RetryRequest(long deadLetterId, long position, UUID eventId, Instant requestedAt) {}

    /** One row of {@code subscriptions}. */
    public record Row(
            String name,
            SubscriptionStatus.Kind kind,
            long position,
            @Nullable String owner,
            long fencingToken,
            @Nullable Instant leaseExpiresAt,
            String status,
            @Nullable String lastError,
            @Nullable Instant lastErrorAt,
            long removedEvents,
            @Nullable Instant removedEventsAt) {

        /** Whether {@code owner} holds this row with {@code token}. */
        public boolean heldBy(String owner, long token) {
            return owner.equals(this.owner) && fencingToken == token;
        }

        /** The operator's view of this row, with {@code head} the head of the global order. */
        public SubscriptionStatus toStatus(long head) {
            return new SubscriptionStatus(
                    SubscriptionName.of(name),
                    kind,
                    ProjectionStatus.fromSql(status),
                    position,
                    Math.max(head, 0),
                    owner,
                    leaseExpiresAt,
                    lastError,
                    lastErrorAt,
                    removedEvents,
                    removedEventsAt);
        }
    }

    private final String ensure;
    private final String kind;
    private final String acquire;
    private final String renew;
    private final String release;
    private final String advance;
    private final String read;
    private final String lock;
    private final String fence;
    private final String reset;
    private final String recordError;
    private final String recordRemoved;
    private final String deadLetter;
    private final String deadLetterSubscription;
    private final String deleteDeadLetter;
    private final String listDeadLetters;
    private final String findDeadLetter;
    private final String requestRetry;
    private final String requestRetries;
    private final String retryRequests;
    private final String retryFailed;
    private final String countDeadLetters;
    private final String names;
    private final String setStatus;

    public SubscriptionRows(String schema) {
        String table = schema + ".subscriptions";
        String deadLetters = schema + ".dead_letters";
        ensure = "INSERT INTO " + table + " (name, kind) VALUES (:name, :kind) ON CONFLICT (name) DO NOTHING";
        kind = "SELECT kind FROM " + table + " WHERE name = :name";
        names = "SELECT name FROM " + table + " WHERE kind = :kind ORDER BY name";
        setStatus = "UPDATE " + table + " SET status = :status, updated_at = now() WHERE name = :name AND kind = :kind";
        // SKIP LOCKED: a row locked by a batch in flight (or a zombie's open transaction) is skipped and tried
        // again at the next tick instead of stalling the caller. Re-checked on the locked row version, so two
        // processes racing for one expired lease cannot both win.
        acquire = """
                UPDATE %1$s
                SET owner = :owner, fencing_token = fencing_token + 1,
                    lease_expires_at = now() + :leaseMillis * interval '1 millisecond', updated_at = now()
                WHERE name = (SELECT name FROM %1$s
                              WHERE name = :name
                                AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= now())
                              FOR UPDATE SKIP LOCKED)
                RETURNING fencing_token, position, status""".formatted(table);
        // SKIP LOCKED here too: while our own batch holds the row, nobody else can take it over, so the renewal
        // may wait for the next tick; blocking would stall the renewals of every other row.
        renew = """
                UPDATE %1$s
                SET lease_expires_at = now() + :leaseMillis * interval '1 millisecond'
                WHERE name = (SELECT name FROM %1$s
                              WHERE name = :name AND owner = :owner AND fencing_token = :token
                              FOR UPDATE SKIP LOCKED)
                RETURNING fencing_token, position, status""".formatted(table);
        release = """
                UPDATE %s SET owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE name = :name AND owner = :owner AND fencing_token = :token""".formatted(table);
        // The checkpoint compare-and-set: in a batch applied in its transaction it runs first, so it also takes the
        // row lock that serializes batches with take-overs and resets. It extends the lease too: a renewal skipped
        // because a batch held the row must not let a busy owner's lease run out.
        advance = """
                UPDATE %s
                SET position = :to, updated_at = now(),
                    lease_expires_at = now() + :leaseMillis * interval '1 millisecond',
                    status = CASE WHEN :caughtUp AND status = 'rebuilding' THEN 'active' ELSE status END
                WHERE name = :name AND position = :from AND owner = :owner AND fencing_token = :token
                  AND status <> 'paused'
                RETURNING status""".formatted(table);
        read = "SELECT name, kind, position, owner, fencing_token, lease_expires_at, status, last_error, last_error_at,"
                + " removed_events, removed_events_at FROM " + table + " WHERE name = :name";
        lock = read + " FOR UPDATE";
        // Takes the row lock a batch's compare-and-set takes, but only while the lease is held: work in the same
        // transaction serializes with the owner's batches and commits only while owned, like a batch.
        fence = "SELECT status FROM " + table
                + " WHERE name = :name AND owner = :owner AND fencing_token = :token AND status <> 'paused'"
                + " FOR UPDATE";
        reset = """
                UPDATE %s SET position = 0, status = :status, last_error = NULL, last_error_at = NULL,
                    updated_at = now()
                WHERE name = :name""".formatted(table);
        recordError = """
                UPDATE %s SET last_error = :error, last_error_at = now(), updated_at = now()
                WHERE name = :name AND owner = :owner AND fencing_token = :token""".formatted(table);
        recordRemoved = """
                UPDATE %s SET removed_events = removed_events + :count, removed_events_at = now()
                WHERE name = :name AND owner = :owner AND fencing_token = :token""".formatted(table);
        // Fenced like the checkpoint: a deposed owner's failure is not the subscription's.
        deadLetter = """
                INSERT INTO %1$s (subscription, position, event_id, stream_id, type, attempts, error)
                SELECT :name, :position, :eventId, :streamId, :type, :attempts, :error
                WHERE EXISTS (SELECT 1 FROM %2$s WHERE name = :name AND owner = :owner AND fencing_token = :token)
                ON CONFLICT ON CONSTRAINT dead_letters_subscription_event_id_key DO UPDATE
                SET attempts = %1$s.attempts + EXCLUDED.attempts, error = EXCLUDED.error, failed_at = now()""".formatted(deadLetters, table);
        deadLetterSubscription = "SELECT subscription FROM " + deadLetters + " WHERE id = :id";
        countDeadLetters =
                "SELECT subscription, count(*) FROM " + deadLetters + " GROUP BY subscription ORDER BY subscription";
        deleteDeadLetter = "DELETE FROM " + deadLetters + " WHERE id = :id";
        String selectDeadLetters = "SELECT id, subscription, position, event_id, stream_id, type, attempts, error,"
                + " failed_at, retry_requested_at FROM " + deadLetters;
        listDeadLetters = selectDeadLetters + " WHERE subscription = :name ORDER BY position, id LIMIT :max";
        findDeadLetter = selectDeadLetters + " WHERE id = :id";
        // A request asked again before the owner got to it keeps its first time: the owner runs it once either way.
        requestRetry = "UPDATE " + deadLetters + " SET retry_requested_at = coalesce(retry_requested_at, now())"
                + " WHERE id = :id RETURNING subscription";
        requestRetries = "UPDATE " + deadLetters + " SET retry_requested_at = coalesce(retry_requested_at, now())"
                + " WHERE subscription = :name";
        retryRequests = """
                SELECT id, position, event_id, retry_requested_at FROM %s
                WHERE subscription = :name AND retry_requested_at IS NOT NULL
                ORDER BY position, id LIMIT :max""".formatted(deadLetters);
        // Clears only the request that was run: one asked for again while it ran stays pending.
        retryFailed = """
                UPDATE %s SET attempts = attempts + :attempts, error = :error, failed_at = now(),
                    retry_requested_at = CASE WHEN retry_requested_at <= :requestedAt THEN NULL
                                              ELSE retry_requested_at END
                WHERE id = :id""".formatted(deadLetters);
    }

    /**
     * Creates the row of {@code kind} if missing.
     *
     * @throws IllegalArgumentException if the name belongs to the other kind, from either side
     */
    public void ensure(Handle handle, String name, SubscriptionStatus.Kind expected) {
        handle.createUpdate(ensure)
                .bind("name", name)
                .bind("kind", sql(expected))
                .execute();
        String actual =
                handle.createQuery(kind).bind("name", name).mapTo(String.class).one();
        if (!sql(expected).equals(actual)) {
            throw new IllegalArgumentException("'" + name + "' is a " + actual + ", not a " + describe(expected)
                    + ": subscriptions and projections share one namespace; choose another name");
        }
    }

    public Optional<Lease> acquire(Handle handle, String name, String owner, long leaseMillis) {
        return handle.createQuery(acquire)
                .bind("name", name)
                .bind("owner", owner)
                .bind("leaseMillis", leaseMillis)
                .map((rs, ctx) -> new Lease(rs.getLong(1), rs.getLong(2), rs.getString(3)))
                .findOne();
    }

    /** Extends the lease; empty when it was lost or the row is locked right now (tell them apart with {@link #read}). */
    public Optional<Lease> renew(Handle handle, String name, String owner, long token, long leaseMillis) {
        return handle.createQuery(renew)
                .bind("name", name)
                .bind("owner", owner)
                .bind("token", token)
                .bind("leaseMillis", leaseMillis)
                .map((rs, ctx) -> new Lease(rs.getLong(1), rs.getLong(2), rs.getString(3)))
                .findOne();
    }

    public void release(Handle handle, String name, String owner, long token) {
        handle.createUpdate(release)
                .bind("name", name)
                .bind("owner", owner)
                .bind("token", token)
                .execute();
    }

    /** Moves the checkpoint from {@code from} to {@code to} if the lease still holds; the new status if it did. */
    public Optional<String> advance(
            Handle handle,
            String name,
            String owner,
            long token,
            long from,
            long to,
            boolean caughtUp,
            long leaseMillis) {
        return handle.createQuery(advance)
                .bind("leaseMillis", leaseMillis)
                .bind("name", name)
                .bind("owner", owner)
                .bind("token", token)
                .bind("from", from)
                .bind("to", to)
                .bind("caughtUp", caughtUp)
                .mapTo(String.class)
                .findOne();
    }

    /** Locks the row if {@code owner} holds it with {@code token} and it is not paused; false otherwise. */
    public boolean fence(Handle handle, String name, String owner, long token) {
        return handle.createQuery(fence)
                .bind("name", name)
                .bind("owner", owner)
                .bind("token", token)
                .mapTo(String.class)
                .findOne()
                .isPresent();
    }

    public Optional<Row> read(Handle handle, String name) {
        return query(handle, read, name);
    }

    /** Reads and locks the row until the transaction ends; waits for a batch in flight to finish. */
    public Optional<Row> lock(Handle handle, String name) {
        return query(handle, lock, name);
    }

    /** The names of the rows of {@code kind}, in name order. */
    public List<String> names(Handle handle, SubscriptionStatus.Kind kind) {
        return handle.createQuery(names)
                .bind("kind", sql(kind))
                .mapTo(String.class)
                .list();
    }

    /** Sets the status of a row of {@code kind}; whether there was one. The owner reads it when it renews its lease. */
    public boolean setStatus(Handle handle, String name, SubscriptionStatus.Kind kind, String status) {
        return handle.createUpdate(setStatus)
                        .bind("name", name)
                        .bind("kind", sql(kind))
                        .bind("status", status)
                        .execute()
                == 1;
    }

    public void reset(Handle handle, String name, String status) {
        handle.createUpdate(reset).bind("name", name).bind("status", status).execute();
    }

    /** Adds {@code count} to the events retention removed before this row's owner processed them; fenced. */
    public void recordRemoved(Handle handle, String name, String owner, long token, long count) {
        handle.createUpdate(recordRemoved)
                .bind("count", count)
                .bind("name", name)
                .bind("owner", owner)
                .bind("token", token)
                .execute();
    }

    public void recordError(Handle handle, String name, String owner, long token, String error) {
        handle.createUpdate(recordError)
                .bind("name", name)
                .bind("owner", owner)
                .bind("token", token)
                .bind("error", error)
                .execute();
    }

    /** Records a dead letter if {@code owner} still holds the lease with {@code token}; whether it did. */
    public boolean deadLetter(
            Handle handle, String name, String owner, long token, RecordedEvent event, int attempts, String error) {
        return handle.createUpdate(deadLetter)
                        .bind("name", name)
                        .bind("owner", owner)
                        .bind("token", token)
                        .bind("position", event.position())
                        .bind("eventId", event.eventId())
                        .bind("streamId", event.streamId().value())
                        .bind("type", event.type())
                        .bind("attempts", attempts)
                        .bind("error", error)
                        .execute()
                == 1;
    }

    public Optional<String> deadLetterSubscription(Handle handle, long id) {
        return handle.createQuery(deadLetterSubscription)
                .bind("id", id)
                .mapTo(String.class)
                .findOne();
    }

    public boolean deleteDeadLetter(Handle handle, long id) {
        return handle.createUpdate(deleteDeadLetter).bind("id", id).execute() == 1;
    }

    /** The number of dead letters per subscription, by name; only subscriptions that have any. */
    public Map<String, Long> deadLetterCounts(Handle handle) {
        Map<String, Long> counts = new LinkedHashMap<>();
        handle.createQuery(countDeadLetters)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                .forEach(count -> counts.put(count.getKey(), count.getValue()));
        return Collections.unmodifiableMap(counts);
    }

    public List<DeadLetter> deadLetters(Handle handle, String name, int maxCount) {
        return handle.createQuery(listDeadLetters)
                .bind("name", name)
                .bind("max", maxCount)
                .map((rs, ctx) -> deadLetter(rs))
                .list();
    }

    public Optional<DeadLetter> deadLetter(Handle handle, long id) {
        return handle.createQuery(findDeadLetter)
                .bind("id", id)
                .map((rs, ctx) -> deadLetter(rs))
                .findOne();
    }

    private static DeadLetter deadLetter(ResultSet rs) throws SQLException {
        return new DeadLetter(
                rs.getLong("id"),
                rs.getString("subscription"),
                rs.getLong("position"),
                rs.getObject("event_id", UUID.class),
                StreamId.of(rs.getString("stream_id")),
                rs.getString("type"),
                rs.getInt("attempts"),
                rs.getString("error"),
                rs.getTimestamp("failed_at").toInstant(),
                instant(rs.getTimestamp("retry_requested_at")));
    }

    /** Asks the owner of its subscription to re-deliver dead letter {@code id}; its subscription, empty if unknown. */
    public Optional<String> requestRetry(Handle handle, long id) {
        return handle.createQuery(requestRetry)
                .bind("id", id)
                .mapTo(String.class)
                .findOne();
    }

    /** Asks for a re-delivery of every dead letter of {@code name}; how many there are. */
    public int requestRetries(Handle handle, String name) {
        return handle.createUpdate(requestRetries).bind("name", name).execute();
    }

    /** The pending re-deliveries of {@code name}, oldest position first, at most {@code maxCount}. */
    public List<RetryRequest> retryRequests(Handle handle, String name, int maxCount) {
        return handle.createQuery(retryRequests)
                .bind("name", name)
                .bind("max", maxCount)
                .map((rs, ctx) -> new RetryRequest(
                        rs.getLong(1),
                        rs.getLong(2),
                        rs.getObject(3, UUID.class),
                        rs.getTimestamp(4).toInstant()))
                .list();
    }

    /**
     * A re-delivery of dead letter {@code id} asked for at {@code requestedAt} failed again: adds the attempts, keeps
     * the error and clears the request. Updates nothing when the dead letter was discarded meanwhile.
     */
    public void retryFailed(Handle handle, long id, int attempts, String error, Instant requestedAt) {
        handle.createUpdate(retryFailed)
                .bind("id", id)
                .bind("attempts", attempts)
                .bind("error", error)
                .bind("requestedAt", requestedAt)
                .execute();
    }

    private static Optional<Row> query(Handle handle, String sql, String name) {
        return handle.createQuery(sql)
                .bind("name", name)
                .map((rs, ctx) -> new Row(
                        rs.getString(1),
                        SubscriptionStatus.Kind.valueOf(rs.getString(2).toUpperCase(Locale.ROOT)),
                        rs.getLong(3),
                        rs.getString(4),
                        rs.getLong(5),
                        instant(rs.getTimestamp(6)),
                        rs.getString(7),
                        rs.getString(8),
                        instant(rs.getTimestamp(9)),
                        rs.getLong(10),
                        instant(rs.getTimestamp(11))))
                .findOne();
    }

    private static @Nullable Instant instant(@Nullable Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static String sql(SubscriptionStatus.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    private static String describe(SubscriptionStatus.Kind kind) {
        return kind == SubscriptionStatus.Kind.SUBSCRIPTION ? "durable subscription" : "projection";
    }
}
