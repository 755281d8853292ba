package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.SchemaName;
import io.nexus.eventstore.jdbc.internal.EventStoreSql;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.Query;

/**
 * The one sanctioned way events leave the store: a {@link RetentionPolicy} applied in bounded batches. Streams keep
 * their versions (a forward read from a removed version throws {@link
 * io.nexus.eventstore.core.StreamTruncatedException} naming where the stream's history now starts) and the global
 * order keeps its positions.
 *
 * <pre>{@code
 * EventRetention retention = EventRetention.create(ownerDataSource, "nexus");
 * RetentionReport report = retention.run(RetentionPolicy.maxAge(Duration.ofDays(30)));
 * log.info(report.summary());   // what went, and what was held back for which subscriber
 * }</pre>
 *
 * <p><b>Nothing unprocessed goes.</b> {@link #run} never removes an event after the checkpoint of any row of the
 * schema's {@code subscriptions} table (durable subscriptions, projections, sagas: whatever their kind) nor one kept
 * as a dead letter; it reports those it held back and for whom. {@link #force} removes them anyway and reports which
 * consumer skipped how many; {@link #dryRun} removes nothing and reports what {@link #run} would do. The store reads
 * that table by SQL (it lives in the store's schema); it knows nothing of the bus that writes it.
 *
 * <p><b>Batches.</b> Each batch is one short transaction that removes at most {@code batchSize} events (a window of
 * positions, or of versions for a one-stream policy), so an interrupted run loses nothing and the next run resumes
 * where it stopped. A batch locks only the events it removes and, in {@link #run}, the {@code subscriptions} rows in
 * share mode (so no checkpoint can move back under it); appends take none of these locks, so they never wait for
 * retention. A checkpoint write waits at most for one batch.
 *
 * <p>The database refuses DELETE of events unless the deleting transaction sets {@code nexus.allow_event_removal};
 * this class is the only code that sets it. Give it a data source whose role owns the schema: the runtime role has no
 * DELETE right on events at all. Thread-safe; every run logs its {@link RetentionReport#summary()}.
 */
public final class EventRetention {
    /** The most events one batch (transaction) removes when no batch size is given: {@value}. */
    public static final int DEFAULT_BATCH_SIZE = 1_000;

    private static final System.Logger LOG = System.getLogger(EventRetention.class.getName());
    private static final long NO_BOUND = Long.MAX_VALUE;

    private final Jdbi jdbi;
    private final String schema;
    private final int batchSize;

    private EventRetention(DataSource dataSource, String schema, int batchSize) {
        this.jdbi = Jdbi.create(AutoCommitDataSource.from(dataSource)); // so its transactions commit on any pool
        this.schema = schema;
        this.batchSize = batchSize;
    }

    /**
     * Makes the retention job for the store in {@code schema}, run with {@code ownerDataSource}'s role, removing at
     * most {@link #DEFAULT_BATCH_SIZE} events per transaction.
     *
     * @param ownerDataSource a pool whose role owns the schema (the runtime role may not delete events)
     * @param schema the event store schema
     * @return the job
     * @throws IllegalArgumentException if the schema name is not valid
     */
    public static EventRetention create(DataSource ownerDataSource, String schema) {
        return create(ownerDataSource, schema, DEFAULT_BATCH_SIZE);
    }

    /**
     * Makes the retention job for the store in {@code schema} with a batch size of its own.
     *
     * @param ownerDataSource a pool whose role owns the schema (the runtime role may not delete events)
     * @param schema the event store schema
     * @param batchSize the most events one transaction removes; at least 1
     * @return the job
     * @throws IllegalArgumentException if the schema name is not valid or the batch size is below 1
     */
    public static EventRetention create(DataSource ownerDataSource, String schema, int batchSize) {
        requireNonNull(ownerDataSource, "ownerDataSource");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
        }
        return new EventRetention(ownerDataSource, SchemaName.of(schema).value(), batchSize);
    }

    /**
     * Whether this job's role may remove events: it holds the DELETE right on the schema's {@code events} table, as
     * the schema owner's role does and the runtime role does not. A caller checks it before it schedules the job, so
     * that a role without the right fails at start rather than in every run.
     *
     * @return whether {@link #run} can remove events with this job's pool
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database fails
     * @throws io.nexus.eventstore.core.SchemaNotMigratedException if the schema holds no event store
     */
    public boolean mayRemoveEvents() {
        try {
            return jdbi.withHandle(
                    handle -> handle.createQuery("SELECT has_table_privilege(current_user, :events, 'DELETE')")
                            .bind("events", schema + ".events")
                            .mapTo(Boolean.class)
                            .one());
        } catch (JdbiException e) {
            throw SqlErrors.translate("could not read the rights of the retention job's role in schema " + schema, e);
        }
    }

    /**
     * Runs {@link #run(RetentionPolicy)} at once and then every {@code interval} (from the end of one run to the start
     * of the next) on a daemon thread {@code nexus-retention-<schema>}, until the returned job is closed. Each run logs
     * its report; a failed run is logged (WARNING, with the cause) and the next one runs as planned.
     *
     * @param policy which events go
     * @param interval the pause between runs; positive
     * @return the running job; close it to stop it
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public ScheduledRetention schedule(RetentionPolicy policy, Duration interval) {
        requireNonNull(policy, "policy");
        requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        return new ScheduledRetention(this, schema, policy, interval);
    }

    /**
     * Removes the events {@code policy} matches, except those a consumer has not processed yet.
     *
     * @param policy which events go
     * @return what was removed, and what was held back for whom
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database fails; batches done stay done
     */
    public RetentionReport run(RetentionPolicy policy) {
        return run(policy, RetentionProgress.NONE);
    }

    /**
     * As {@link #run(RetentionPolicy)}, telling {@code progress} before the first batch and after each one.
     *
     * @param policy which events go
     * @param progress told the events removed so far
     * @return what was removed, and what was held back for whom
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database fails; batches done stay done
     */
    public RetentionReport run(RetentionPolicy policy, RetentionProgress progress) {
        return execute(policy, RetentionReport.Mode.RUN, progress);
    }

    /**
     * Removes every event {@code policy} matches, processed or not; the report names each consumer that had not
     * processed some of them (it will find them gone, and says so).
     *
     * @param policy which events go
     * @return what was removed, and what each consumer skipped
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database fails; batches done stay done
     */
    public RetentionReport force(RetentionPolicy policy) {
        return force(policy, RetentionProgress.NONE);
    }

    /**
     * As {@link #force(RetentionPolicy)}, telling {@code progress} before the first batch and after each one.
     *
     * @param policy which events go
     * @param progress told the events removed so far
     * @return what was removed, and what each consumer skipped
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database fails; batches done stay done
     */
    public RetentionReport force(RetentionPolicy policy, RetentionProgress progress) {
        return execute(policy, RetentionReport.Mode.FORCE, progress);
    }

    /**
     * Removes nothing: reports what {@link #run} would remove now, and what it would hold back for whom.
     *
     * @param policy which events would go
     * @return the report, with {@link RetentionReport#removed()} the events that would go
     * @throws io.nexus.eventstore.core.EventStoreAccessException if the database fails
     */
    public RetentionReport dryRun(RetentionPolicy policy) {
        return execute(policy, RetentionReport.Mode.DRY_RUN, RetentionProgress.NONE);
    }

    private RetentionReport execute(RetentionPolicy policy, RetentionReport.Mode mode, RetentionProgress progress) {
        requireNonNull(policy, "policy");
        requireNonNull(progress, "progress");
        try {
            Survey survey = jdbi.withHandle(handle -> survey(handle, policy));
            long removed = survey.removable;
            int batches = 0;
            if (mode != RetentionReport.Mode.DRY_RUN) {
                Walk walk = policy.scope() instanceof RetentionScope.Stream
                        ? new Walk(false, 1, streamEnd(policy))
                        : positionWalk();
                removed = 0;
                long expected = mode == RetentionReport.Mode.FORCE ? survey.matched : survey.removable;
                progress.removed(0, expected);
                long lo = walk.start;
                while (lo <= walk.end) {
                    long hi = lo + batchSize - 1 < lo ? Long.MAX_VALUE : lo + batchSize - 1; // no overflow
                    long from = lo;
                    long to = Math.min(hi, walk.end);
                    Batch batch =
                            jdbi.inTransaction(handle -> removeBatch(handle, policy, mode, walk.byPosition, from, to));
                    removed += batch.removed;
                    batches += batch.removed > 0 ? 1 : 0;
                    progress.removed(removed, expected);
                    if (batch.done) {
                        break;
                    }
                    lo = to + 1;
                }
            }
            RetentionReport report = new RetentionReport(
                    policy, mode, survey.matched, removed, survey.unprocessed, survey.consumers, batches);
            LOG.log(
                    mode == RetentionReport.Mode.FORCE && survey.unprocessed > 0 ? Level.WARNING : Level.INFO,
                    report.summary());
            return report;
        } catch (JdbiException e) {
            throw SqlErrors.translate("could not apply retention policy " + policy + " to schema " + schema, e);
        }
    }

    /** Where a walk starts and ends: positions of the global order, or versions of the one stream. */
    private record Walk(boolean byPosition, long start, long end) {}

    /** One batch's outcome: events removed, and whether the walk can stop (nothing more may go). */
    private record Batch(long removed, boolean done) {}

    /** What the policy matches when the run starts, and who has not processed which of it. */
    private record Survey(long matched, long removable, long unprocessed, List<RetentionReport.Consumer> consumers) {}

    private Walk positionWalk() {
        return jdbi.withHandle(handle -> {
            Optional<Long> first = handle.createQuery(
                            "SELECT first_position FROM " + schema + ".commits ORDER BY last_position LIMIT 1")
                    .mapTo(Long.class)
                    .findOne();
            long head = handle.createQuery("SELECT last_position FROM " + schema + ".sequencer WHERE id = 1")
                    .mapTo(Long.class)
                    .one();
            return first.isEmpty() ? new Walk(true, 1, 0) : new Walk(true, first.get(), head);
        });
    }

    private long streamEnd(RetentionPolicy policy) {
        RetentionScope.Stream stream = (RetentionScope.Stream) policy.scope();
        return jdbi.withHandle(
                handle -> handle.createQuery("SELECT version FROM " + schema + ".streams WHERE stream_id = :stream")
                        .bind("stream", stream.id().value())
                        .mapTo(Long.class)
                        .findOne()
                        .orElse(0L));
    }

    /**
     * Counts the matched events, and for every consumer (each {@code subscriptions} row, and the dead letters of each)
     * how many of them lie after its checkpoint. One pass over the matched events, materialized once.
     */
    private Survey survey(Handle handle, RetentionPolicy policy) {
        String sql = """
                WITH matched AS MATERIALIZED (
                    SELECT %3$s AS position
                    FROM %1$s.commits c
                    CROSS JOIN LATERAL (
                        SELECT e.commit_id, e.commit_index, e.stream_id, e.stream_version, e.type, e.recorded_at
                        FROM %1$s.events e
                        WHERE e.commit_id BETWEEN coalesce(c.first_commit_id, c.commit_id) AND c.commit_id
                        OFFSET 0) e
                    WHERE %2$s
                ), holders AS (
                    SELECT s.name, s.kind, s.position AS checkpoint FROM %1$s.subscriptions s
                    UNION ALL
                    SELECT d.subscription, 'dead letters', min(d.position) - 1 FROM %1$s.dead_letters d
                    GROUP BY d.subscription
                )
                SELECT h.name, h.kind, h.checkpoint,
                       (SELECT count(*) FROM matched m WHERE m.position > h.checkpoint) AS behind, 0 AS matched
                FROM holders h
                UNION ALL
                SELECT NULL, NULL, NULL, 0, (SELECT count(*) FROM matched)
                ORDER BY 3 NULLS LAST""".formatted(schema, condition(policy), EventStoreSql.POSITION);
        record Row(String name, String kind, long checkpoint, long behind, long matched) {}
        List<Row> rows = bind(handle.createQuery(sql), policy)
                .map((rs, ctx) -> new Row(
                        String.valueOf(rs.getString(1)),
                        String.valueOf(rs.getString(2)),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5)))
                .list();
        long matched = rows.get(rows.size() - 1).matched();
        // Rows are ordered by checkpoint: the first holder has the lowest, and everything after it is unprocessed.
        long unprocessed = rows.size() > 1 ? rows.get(0).behind() : 0;
        List<RetentionReport.Consumer> consumers = new ArrayList<>();
        for (Row row : rows.subList(0, rows.size() - 1)) {
            if (row.behind() > 0) {
                consumers.add(new RetentionReport.Consumer(row.name(), row.kind(), row.checkpoint(), row.behind()));
            }
        }
        return new Survey(matched, matched - unprocessed, unprocessed, consumers);
    }

    /**
     * Removes the matched events of one window (positions {@code lo..hi}, or versions of the one stream), recording
     * where each touched stream now starts and the highest position removed, and drops the global order's rows of
     * appends left without events. In {@link RetentionReport.Mode#RUN} the lowest checkpoint is read under a share
     * lock in this same transaction, so a subscriber reset (to replay) cannot slip between that read and the delete.
     */
    private Batch removeBatch(
            Handle handle, RetentionPolicy policy, RetentionReport.Mode mode, boolean byPosition, long lo, long hi) {
        handle.execute("SET LOCAL nexus.allow_event_removal = 'on'");
        // A batch is a short walk of index probes; the planner's estimate of it (each range's events) can still cross
        // jit_above_cost on a large store, and compiling took 233 ms of a 4 ms batch (benchmark, 3.6 million events).
        handle.execute("SET LOCAL jit = off");
        long bound = NO_BOUND;
        if (mode == RetentionReport.Mode.RUN) {
            for (long checkpoint : handle.createQuery("SELECT position FROM " + schema + ".subscriptions FOR SHARE")
                    .mapTo(Long.class)
                    .list()) {
                bound = Math.min(bound, checkpoint);
            }
            long deadLetter = handle.createQuery(
                            "SELECT coalesce(min(position) - 1, :none) FROM " + schema + ".dead_letters")
                    .bind("none", NO_BOUND)
                    .mapTo(Long.class)
                    .one();
            bound = Math.min(bound, deadLetter);
            if (byPosition && lo > bound) {
                return new Batch(0, true);
            }
        }
        // Both windows are walks of index probes, fenced as LATERAL subqueries (OFFSET 0, LIMIT 1) so the planner
        // cannot turn them into a hash join: as plain joins, with the window's commits misestimated, each batch
        // scanned all of events (and was JIT-compiled), 2.4 s a batch on the benchmark's store of 3.4 million events.
        // The position window scans events_pkey from where :lo lies in each range of commits to where :hi does (V12).
        String window = byPosition
                ? """
                  FROM %1$s.commits c
                  %2$s
                  %3$s
                  CROSS JOIN LATERAL (
                      SELECT e.commit_id, e.commit_index, e.stream_id, e.stream_version, e.type, e.recorded_at
                      FROM %1$s.events e
                      WHERE (e.commit_id, e.commit_index) >= (lo_at.commit_id, lo_at.commit_index)
                        AND (e.commit_id, e.commit_index) <= (hi_at.commit_id, hi_at.commit_index)
                        AND e.commit_id <= c.commit_id
                      OFFSET 0) e
                  WHERE c.last_position >= :lo
                    AND c.last_position <= coalesce((SELECT min(x.last_position) FROM %1$s.commits x
                                                     WHERE x.last_position >= :hi), :hi)""".formatted(
                        schema, EventStoreSql.pointInRange("lo_at", ":lo"), EventStoreSql.pointInRange("hi_at", ":hi"))
                : """
                  FROM %1$s.events e
                  CROSS JOIN LATERAL (SELECT c.commit_id, c.first_position, c.first_commit_id, c.commit_offsets
                                      FROM %1$s.commits c
                                      WHERE c.commit_id >= e.commit_id ORDER BY c.commit_id LIMIT 1) c
                  WHERE coalesce(c.first_commit_id, c.commit_id) <= e.commit_id
                    AND e.stream_version BETWEEN :lo AND :hi""".formatted(schema);
        String sql = """
                WITH doomed AS MATERIALIZED (
                    SELECT e.commit_id, e.commit_index, %4$s AS position, c.commit_id AS range_id
                    %2$s
                      AND %4$s <= :bound
                      AND %3$s
                ), removed AS (
                    DELETE FROM %1$s.events e USING doomed d
                    WHERE e.commit_id = d.commit_id AND e.commit_index = d.commit_index
                    RETURNING d.range_id, e.stream_id, e.stream_version, d.position
                ), truncated AS (
                    INSERT INTO %1$s.stream_truncations AS t (stream_id, first_version)
                    SELECT r.stream_id, max(r.stream_version) + 1 FROM removed r GROUP BY r.stream_id
                    ON CONFLICT ON CONSTRAINT stream_truncations_pkey DO UPDATE
                    SET first_version = greatest(t.first_version, EXCLUDED.first_version), truncated_at = now()
                )
                SELECT count(*), coalesce(max(r.position), 0), coalesce(array_agg(DISTINCT r.range_id), '{}')
                FROM removed r""".formatted(schema, window, condition(policy), EventStoreSql.POSITION);
        record Removed(long count, long maxPosition, List<Long> commitIds) {}
        Removed removed = bind(handle.createQuery(sql), policy)
                .bind("lo", lo)
                .bind("hi", hi)
                .bind("bound", bound)
                .map((rs, ctx) -> new Removed(rs.getLong(1), rs.getLong(2), List.of((Long[])
                        rs.getArray(3).getArray())))
                .one();
        if (removed.count() > 0) {
            // A range of commits leaves the global order once none of its events is left.
            handle.createUpdate("DELETE FROM " + schema + ".commits c WHERE c.commit_id = ANY(:ids)"
                            + " AND NOT EXISTS (SELECT 1 FROM " + schema + ".events e WHERE e.commit_id"
                            + " BETWEEN coalesce(c.first_commit_id, c.commit_id) AND c.commit_id)")
                    .bind("ids", removed.commitIds().toArray(Long[]::new))
                    .execute();
            handle.createUpdate("UPDATE " + schema + ".retention_state SET max_removed_position ="
                            + " greatest(max_removed_position, :position), updated_at = now() WHERE id = 1")
                    .bind("position", removed.maxPosition())
                    .execute();
        }
        boolean done = byPosition && (hi >= bound || pastAge(handle, policy, lo, hi));
        return new Batch(removed.count(), done);
    }

    /**
     * Whether an age walk can stop: every append in the window was ordered after the cutoff, so every later one was
     * too (the sequencer orders appends in position order, after they commit, which is after they were recorded).
     */
    private boolean pastAge(Handle handle, RetentionPolicy policy, long lo, long hi) {
        if (!(policy instanceof RetentionPolicy.MaxAge age)) {
            return false;
        }
        return handle.createQuery("SELECT coalesce(bool_and(sequenced_at >= now() - make_interval(secs => :seconds)),"
                        + " false) FROM " + schema + ".commits WHERE last_position BETWEEN :lo AND :hi")
                .bind("seconds", (double) age.maxAge().toMillis() / 1000)
                .bind("lo", lo)
                .bind("hi", hi)
                .mapTo(Boolean.class)
                .one();
    }

    /** The policy as a condition on {@code e} (events) and {@code c} (commits); its parameters bound by {@link #bind}. */
    private String condition(RetentionPolicy policy) {
        String limit;
        if (policy instanceof RetentionPolicy.MaxAge) {
            limit = "e.recorded_at < now() - make_interval(secs => :seconds)";
        } else if (policy instanceof RetentionPolicy.MaxCount) {
            // The stream row is read, never locked: an append advancing it concurrently only makes more events old.
            limit = "e.stream_version <= (SELECT s.version FROM " + schema
                    + ".streams s WHERE s.stream_id = e.stream_id) - :keep";
        } else if (policy instanceof RetentionPolicy.TruncateBefore) {
            limit = "e.stream_version < :before";
        } else if (policy instanceof RetentionPolicy.DeletedStreams) {
            // The tombstone of soft deletion (schema V3): deleted_at is set once and never cleared.
            limit = "EXISTS (SELECT 1 FROM " + schema
                    + ".streams s WHERE s.stream_id = e.stream_id AND s.deleted_at IS NOT NULL)";
        } else {
            throw new AssertionError("unknown policy " + policy);
        }
        RetentionScope scope = policy.scope();
        String where;
        if (scope instanceof RetentionScope.Global) {
            where = "TRUE";
        } else if (scope instanceof RetentionScope.Category) {
            where = "split_part(e.stream_id, '-', 1) = :category";
        } else if (scope instanceof RetentionScope.Stream) {
            where = "e.stream_id = :stream";
        } else {
            throw new AssertionError("unknown scope " + scope);
        }
        return limit + " AND " + where;
    }

    private static Query bind(Query query, RetentionPolicy policy) {
        if (policy instanceof RetentionPolicy.MaxAge age) {
            query.bind("seconds", (double) age.maxAge().toMillis() / 1000);
        } else if (policy instanceof RetentionPolicy.MaxCount count) {
            query.bind("keep", count.keep());
        } else if (policy instanceof RetentionPolicy.TruncateBefore truncate) {
            query.bind("before", truncate.version());
        }
        RetentionScope scope = policy.scope();
        if (scope instanceof RetentionScope.Category category) {
            query.bind("category", category.name());
        } else if (scope instanceof RetentionScope.Stream stream) {
            query.bind("stream", stream.id().value());
        }
        return query;
    }
}
