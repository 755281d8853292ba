package io.nexus.cli;

import io.nexus.eventbus.NexusConfig;
import io.nexus.eventstore.jdbc.EventRetention;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cleanup}: retention by age, as {@link EventRetention} applies it; {@code --dry-run} only counts. */
@Command(
        name = "cleanup",
        description = "Removes events older than --older-than-days (default: the configuration's"
                + " event_retention_days); --dry-run counts them and removes nothing. Needs the schema owner's role.")
final class CleanupCommand extends DatabaseCommand {
    @Option(names = "--older-than-days", paramLabel = "DAYS", description = "remove events older than this")
    @Nullable
    Integer days;

    @Option(names = "--dry-run", description = "count what would be removed, remove nothing")
    boolean dryRun;

    @Override
    int run(Database.Session session) {
        int age = days != null ? days : configuredDays();
        if (age < 1) {
            throw usage("--older-than-days must be >= 1, was " + age);
        }
        Duration maxAge = Duration.ofDays(age);
        if (dryRun) {
            long count = Jdbi.create(session.dataSource())
                    .withHandle(handle -> handle.createQuery("SELECT count(*) FROM " + session.schema()
                                    + ".events WHERE recorded_at < now() - make_interval(days => :days)")
                            .bind("days", age)
                            .mapTo(Long.class)
                            .one());
            out().println("dry run: " + count + " event(s) older than " + age + " day(s) would be removed");
            return 0;
        }
        int removed =
                EventRetention.create(session.dataSource(), session.schema()).removeOlderThan(maxAge);
        out().println("removed " + removed + " event(s) older than " + age + " day(s)");
        return 0;
    }

    private int configuredDays() {
        if (database.config == null) {
            throw usage("give --older-than-days DAYS (or --config with event_retention_days)");
        }
        int configured = NexusConfig.fromYaml(database.config).retentionDays();
        if (configured == 0) {
            throw usage("the configuration keeps events forever (event_retention_days: 0); give --older-than-days");
        }
        return configured;
    }
}
