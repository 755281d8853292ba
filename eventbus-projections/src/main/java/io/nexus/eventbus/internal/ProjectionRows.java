package io.nexus.eventbus.internal;

import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * The SQL on a projection's row of {@code subscriptions}: lease, checkpoint compare-and-set, reset and errors. Lease
 * times come from the server's {@code now()}, so process clocks never matter. The schema name was validated by the
 * store before it gets here.
 */
public final class ProjectionRows {
    /** A lease held: the fencing token it was granted with, and the row's checkpoint and status at that moment. */
    public record Lease(long fencingToken, long position, String status) {}

    /** The row as stored. */
    public record Row(long position, @Nullable String owner, long fencingToken, String status) {}

    private final String ensure;
    private final String kind;
    private final String acquire;
    private final String renew;
    private final String release;
    private final String advance;
    private final String read;
    private final String lock;
    private final String reset;
    private final String recordError;

    public ProjectionRows(String schema) {
        String table = schema + ".subscriptions";
        ensure = "INSERT INTO " + table + " (name, kind) VALUES (:name, 'projection') ON CONFLICT (name) DO NOTHING";
        kind = "SELECT kind FROM " + table + " WHERE name = :name";
        // SKIP LOCKED: a row locked by a batch in flight (or a zombie's open transaction) is skipped and tried
        // again at the next tick instead of stalling the coordinator. Re-checked on the locked row version, so
        // two daemons racing for one expired lease cannot both win.
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
        // may wait for the next tick; blocking would stall the renewals of every other projection.
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
        // The compare-and-set that makes the effect exactly-once: it runs first in the batch transaction, so it
        // also takes the row lock that serializes batches with takeovers and resets. A batch also extends the
        // lease: a renewal skipped because a batch held the row must not let a busy owner's lease run out.
        advance = """
                UPDATE %s
                SET position = :to, updated_at = now(),
                    lease_expires_at = now() + :leaseMillis * interval '1 millisecond',
                    status = CASE WHEN :caughtUp AND status = 'rebuilding' THEN 'active' ELSE status END
                WHERE name = :name AND position = :from AND fencing_token = :token AND status <> 'paused'
                RETURNING status""".formatted(table);
        read = "SELECT position, owner, fencing_token, status FROM " + table + " WHERE name = :name";
        lock = read + " FOR UPDATE";
        reset = """
                UPDATE %s SET position = 0, status = :status, last_error = NULL, last_error_at = NULL,
                    updated_at = now()
                WHERE name = :name""".formatted(table);
        recordError = """
                UPDATE %s SET last_error = :error, last_error_at = now()
                WHERE name = :name AND fencing_token = :token""".formatted(table);
    }

    /** Creates the row if missing; fails if the name belongs to a durable subscription. */
    public void ensure(Handle handle, String name) {
        handle.createUpdate(ensure).bind("name", name).execute();
        String actual = handle.createQuery(kind).bind("name", name).mapTo(String.class).one();
        if (!"projection".equals(actual)) {
            throw new IllegalStateException("'" + name + "' is a " + actual + ", not a projection; pick another name");
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
        handle.createUpdate(release).bind("name", name).bind("owner", owner).bind("token", token).execute();
    }

    /** Moves the checkpoint from {@code from} to {@code to} if the token still holds; the new status if it did. */
    public Optional<String> advance(
            Handle handle, String name, long token, long from, long to, boolean caughtUp, long leaseMillis) {
        return handle.createQuery(advance)
                .bind("leaseMillis", leaseMillis)
                .bind("name", name)
                .bind("token", token)
                .bind("from", from)
                .bind("to", to)
                .bind("caughtUp", caughtUp)
                .mapTo(String.class)
                .findOne();
    }

    public Optional<Row> read(Handle handle, String name) {
        return query(handle, read, name);
    }

    /** Reads and locks the row until the transaction ends; waits for a batch in flight to finish. */
    public Optional<Row> lock(Handle handle, String name) {
        return query(handle, lock, name);
    }

    public void reset(Handle handle, String name, String status) {
        handle.createUpdate(reset).bind("name", name).bind("status", status).execute();
    }

    public void recordError(Handle handle, String name, long token, String error) {
        handle.createUpdate(recordError).bind("name", name).bind("token", token).bind("error", error).execute();
    }

    private static Optional<Row> query(Handle handle, String sql, String name) {
        return handle.createQuery(sql)
                .bind("name", name)
                .map((rs, ctx) -> new Row(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)))
                .findOne();
    }
}
