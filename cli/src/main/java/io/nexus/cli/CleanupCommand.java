package io.nexus.cli;

import io.nexus.eventbus.NexusConfig;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.eventstore.jdbc.RetentionReport;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cleanup}: retention by age, as {@link EventRetention} applies it: never past the lowest checkpoint unless
 * {@code --force}; {@code --dry-run} only reports.
 */
@Command(
        name = "cleanup",
        description = "Removes events older than --older-than-days (default: the configuration's"
                + " event_retention_days), never one a subscriber has not processed unless --force; --dry-run"
                + " reports and removes nothing. Needs the schema owner's role.")
final class CleanupCommand extends DatabaseCommand {
    @Option(names = "--older-than-days", paramLabel = "DAYS", description = "remove events older than this")
    @Nullable
    Integer days;

    @Option(names = "--dry-run", description = "report what would be removed, remove nothing")
    boolean dryRun;

    @Option(
            names = "--force",
            description = "also remove events that a subscription, projection or saga has not processed yet")
    boolean force;

    @Override
    int run(Database.Session session) {
        int age = days != null ? days : configuredDays();
        if (age < 1) {
            throw usage("--older-than-days must be >= 1, was " + age);
        }
        RetentionPolicy policy = RetentionPolicy.maxAge(Duration.ofDays(age));
        EventRetention retention = EventRetention.create(session.dataSource(), session.schema());
        RetentionReport report =
                dryRun ? retention.dryRun(policy) : force ? retention.force(policy) : retention.run(policy);
        out().println(report.summary());
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
