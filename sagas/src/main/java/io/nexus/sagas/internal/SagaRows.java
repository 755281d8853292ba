package io.nexus.sagas.internal;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * All SQL on {@code saga_deadlines} and {@code saga_workers}, with the schema substituted once (the store validated
 * it). Deadline times are the worker's {@link java.time.Clock}; heartbeats are the server's clock.
 */
public final class SagaRows {
    /** A deadline that is due. */
    public record DueDeadline(String sagaId, String name, Instant dueAt) {}

    private final String setDeadline;
    private final String cancelDeadline;
    private final String cancelAll;
    private final String due;
    private final String heartbeat;
    private final String liveWorkers;
    private final String leave;

    public SagaRows(String schema) {
        String deadlines = schema + ".saga_deadlines";
        String workers = schema + ".saga_workers";
        setDeadline = """
                INSERT INTO %s (saga_type, saga_id, name, partition, due_at)
                VALUES (:type, :id, :name, :partition, :dueAt)
                ON CONFLICT ON CONSTRAINT saga_deadlines_pkey DO UPDATE SET due_at = EXCLUDED.due_at""".formatted(deadlines);
        cancelDeadline = "DELETE FROM " + deadlines + " WHERE saga_type = :type AND saga_id = :id AND name = :name";
        cancelAll = "DELETE FROM " + deadlines + " WHERE saga_type = :type AND saga_id = :id";
        due = """
                SELECT saga_id, name, due_at FROM %s
                WHERE saga_type = :type AND partition = :partition AND due_at <= :now
                ORDER BY due_at, saga_id, name LIMIT :max""".formatted(deadlines);
        heartbeat = """
                INSERT INTO %s (saga_type, worker) VALUES (:type, :worker)
                ON CONFLICT ON CONSTRAINT saga_workers_pkey DO UPDATE SET heartbeat_at = now()""".formatted(workers);
        // Rows of workers dead for long are removed as a side effect, so the table does not grow with restarts.
        liveWorkers = """
                WITH gone AS (DELETE FROM %1$s WHERE heartbeat_at < now() - 100 * :leaseMillis * interval '1 millisecond')
                SELECT count(*)::int FROM %1$s
                WHERE saga_type = :type AND heartbeat_at > now() - :leaseMillis * interval '1 millisecond'""".formatted(workers);
        leave = "DELETE FROM " + workers + " WHERE saga_type = :type AND worker = :worker";
    }

    public void setDeadline(Handle handle, String type, String id, String name, int partition, Instant dueAt) {
        handle.createUpdate(setDeadline)
                .bind("type", type)
                .bind("id", id)
                .bind("name", name)
                .bind("partition", partition)
                .bind("dueAt", OffsetDateTime.ofInstant(dueAt, ZoneOffset.UTC))
                .execute();
    }

    public void cancelDeadline(Handle handle, String type, String id, String name) {
        handle.createUpdate(cancelDeadline)
                .bind("type", type)
                .bind("id", id)
                .bind("name", name)
                .execute();
    }

    public void cancelAll(Handle handle, String type, String id) {
        handle.createUpdate(cancelAll).bind("type", type).bind("id", id).execute();
    }

    public List<DueDeadline> due(Handle handle, String type, int partition, Instant now, int max) {
        return handle.createQuery(due)
                .bind("type", type)
                .bind("partition", partition)
                .bind("now", OffsetDateTime.ofInstant(now, ZoneOffset.UTC))
                .bind("max", max)
                .map((rs, ctx) -> new DueDeadline(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getObject(3, OffsetDateTime.class).toInstant()))
                .list();
    }

    /** Records that {@code worker} is alive and returns how many workers of {@code type} are. */
    public int heartbeat(Handle handle, String type, String worker, long leaseMillis) {
        handle.createUpdate(heartbeat).bind("type", type).bind("worker", worker).execute();
        return handle.createQuery(liveWorkers)
                .bind("type", type)
                .bind("leaseMillis", leaseMillis)
                .mapTo(Integer.class)
                .one();
    }

    public void leave(Handle handle, String type, String worker) {
        handle.createUpdate(leave).bind("type", type).bind("worker", worker).execute();
    }
}
