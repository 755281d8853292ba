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
 * {@code saga-<type>-<id>}; this command reads those streams, so it needs nothing of the saga's code.
 */
@Command(
        name = "sagas",
        description = "Saga instances (streams saga-<type>-<id>): list [--type TYPE], show TYPE ID (its history).")
final class SagaCommand extends DatabaseCommand {
    static final String STREAM_PREFIX = "saga-";

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
            List<StreamRow> rows = Jdbi.create(session.dataSource())
                    .withHandle(handle -> handle.createQuery("SELECT stream_id, version, created_at FROM "
                                    + session.schema() + ".streams WHERE starts_with(stream_id, :prefix)"
                                    + " ORDER BY stream_id LIMIT :max")
                            .bind("prefix", prefix)
                            .bind("max", max)
                            .map((rs, ctx) -> new StreamRow(
                                    rs.getString(1),
                                    rs.getLong(2),
                                    rs.getTimestamp(3).toInstant().toString()))
                            .list());
            out().printf("%-48s %8s  %s%n", "saga stream", "events", "started");
            rows.forEach(row -> out().printf("%-48s %8d  %s%n", row.streamId(), row.version(), row.createdAt()));
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
        return 0;
    }

    record StreamRow(String streamId, long version, String createdAt) {}
}
