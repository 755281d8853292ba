package io.nexus.cli;

import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sagas list} and {@code sagas show TYPE ID}. A saga instance's state is rebuilt from its own stream, named
 * {@code saga-<type>-<id>} (ADR 0007); this command reads those streams, and the pending deadlines of table
 * {@code saga_deadlines}, so it needs nothing of the saga's code.
 */
@Command(
        name = "sagas",
        description = "Saga instances (streams saga-<type>-<id>): list [--type TYPE] (running or ended), show TYPE ID"
                + " (its history and pending deadlines).")
final class SagaCommand extends DatabaseCommand {
    static final String STREAM_PREFIX = "saga-";

    /** The event that ends an instance ({@code io.nexus.sagas.SagaEvents.ENDED}; the cli does not depend on sagas). */
    static final String ENDED = "saga.ended";

    enum Action {
        list,
        show
    }

    @Parameters(index = "0", paramLabel = "ACTION", description = "list or show")
    Action action = Action.list;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TYPE", description = "the saga type (show)")
    @Nullable
    String sagaType;

    @Parameters(index = "2", arity = "0..1", paramLabel = "ID", description = "the saga instance's id (show)")
    @Nullable
    String id;

    @Option(names = "--type", description = "list only sagas of this type")
    @Nullable
    String type;

    @Option(names = "--max", description = "the most instances to list (default: ${DEFAULT-VALUE})")
    int max = 100;

    @Override
    int run(Database.Session session) {
        if (action == Action.list) {
            String prefix = STREAM_PREFIX + (type == null ? "" : type + "-");
            // The streams table is read directly: the store has no listing of streams by prefix (read-only).
            String schema = session.schema();
            List<StreamRow> rows = Jdbi.create(session.dataSource())
                    .withHandle(handle -> handle.createQuery("SELECT s.stream_id, s.version, s.created_at,"
                                    + " EXISTS (SELECT 1 FROM " + schema + ".events e WHERE e.stream_id = s.stream_id"
                                    + " AND e.type = :ended) FROM " + schema + ".streams s"
                                    + " WHERE starts_with(s.stream_id, :prefix) ORDER BY s.stream_id LIMIT :max")
                            .bind("ended", ENDED)
                            .bind("prefix", prefix)
                            .bind("max", max)
                            .map((rs, ctx) -> new StreamRow(
                                    rs.getString(1),
                                    rs.getLong(2),
                                    rs.getTimestamp(3).toInstant().toString(),
                                    rs.getBoolean(4)))
                            .list());
            out().printf("%-48s %8s  %-7s %s%n", "saga stream", "events", "status", "started");
            rows.forEach(row -> out().printf(
                            "%-48s %8d  %-7s %s%n",
                            row.streamId(), row.version(), row.ended() ? "ended" : "running", row.createdAt()));
            return 0;
        }
        if (sagaType == null || id == null) {
            throw usage("show needs the saga type and the instance id: nexus sagas show order-fulfilment 42");
        }
        StreamId stream = StreamId.of(STREAM_PREFIX + sagaType + "-" + id);
        if (!session.store().streamExists(stream)) {
            throw new IllegalArgumentException("no saga instance '" + stream.value() + "'");
        }
        out().println("saga " + sagaType + " " + id + " (stream " + stream.value() + "):");
        for (RecordedEvent event : session.store().streamEvents(stream, 1)) {
            out().println("  " + Json.line(event));
        }
        // Pending deadlines are not history: the sagas module keeps them in saga_deadlines (schema V5).
        List<String> deadlines = Jdbi.create(session.dataSource())
                .withHandle(handle -> handle.createQuery("SELECT name, due_at FROM " + session.schema()
                                + ".saga_deadlines WHERE saga_type = :type AND saga_id = :id ORDER BY due_at, name")
                        .bind("type", sagaType)
                        .bind("id", id)
                        .map((rs, ctx) ->
                                rs.getString(1) + " due " + rs.getTimestamp(2).toInstant())
                        .list());
        out().println(deadlines.isEmpty() ? "no pending deadline" : "pending deadlines:");
        deadlines.forEach(deadline -> out().println("  " + deadline));
        return 0;
    }

    record StreamRow(String streamId, long version, String createdAt, boolean ended) {}
}
