package io.nexus.cli;

import io.nexus.eventbus.SubscriptionAdmin;
import io.nexus.eventbus.SubscriptionStatus;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;

/**
 * {@code stats}: streams, events, size on disk, oldest and newest event, head, what in the server's settings keeps the
 * store from staying fast, and the lag of every subscriber.
 */
@Command(name = "stats", description = "Streams, events, size, oldest and newest event, lag per subscriber.")
final class StatsCommand extends DatabaseCommand {
    record Totals(
            long streams,
            long events,
            long bytes,
            @Nullable String oldest,
            @Nullable String newest) {}

    @Override
    int run(Database.Session session) {
        String schema = session.schema();
        // the store first: a database that is down or a schema not migrated fails with its typed one-line error
        long head = session.store().headPosition();
        // Read-only catalog and count queries; the store has no statistics API of its own.
        Totals totals = Jdbi.create(session.dataSource())
                .withHandle(handle -> handle.createQuery("SELECT (SELECT count(*) FROM " + schema + ".streams),"
                                + " count(*), pg_total_relation_size('" + schema + ".events'),"
                                + " min(recorded_at)::text, max(recorded_at)::text FROM " + schema + ".events")
                        .map((rs, ctx) -> new Totals(
                                rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5)))
                        .one());
        out().println("schema          " + schema);
        out().println("streams         " + totals.streams());
        out().println("events          " + totals.events());
        out().println("head position   " + head);
        out().println("events size     " + human(totals.bytes()) + " (table and indexes)");
        out().println("oldest event    " + (totals.oldest() == null ? "-" : totals.oldest()));
        out().println("newest event    " + (totals.newest() == null ? "-" : totals.newest()));
        for (String warning : session.store().setupWarnings()) {
            out().println("warning         " + warning);
        }
        SubscriptionAdmin admin = SubscriptionAdmin.create(session.store(), session.dataSource());
        List<SubscriptionStatus> subscribers = new ArrayList<>(admin.list(SubscriptionStatus.Kind.SUBSCRIPTION));
        subscribers.addAll(admin.list(SubscriptionStatus.Kind.PROJECTION));
        out().println();
        out().println("subscribers (lag = head - checkpoint):");
        SubscriberCommands.printTable(out(), subscribers);
        return 0;
    }

    private static String human(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
