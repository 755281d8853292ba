package io.nexus.cli;

import io.nexus.eventbus.NexusConfig;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.eventstore.jdbc.RetentionProgress;
import io.nexus.eventstore.jdbc.RetentionReport;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
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
                + " reports and removes nothing. Shows progress on standard error. Needs the schema owner's role.")
final class CleanupCommand extends DatabaseCommand {
    /**
     * EventRetention logs its report (System.Logger, so java.util.logging here) on standard error when it finishes,
     * which would break the progress bar before it is closed; this command prints the same report on standard out.
     * Held in a field because java.util.logging keeps loggers only weakly.
     */
    private static final Logger RETENTION_LOG = Logger.getLogger(EventRetention.class.getName());

    @Option(names = "--older-than-days", paramLabel = "DAYS", description = "remove events older than this")
    @Nullable
    Integer days;

    @Option(names = "--dry-run", description = "report what would be removed, remove nothing")
    boolean dryRun;

    @Option(
            names = "--force",
            description = "also remove events that a subscription, projection or saga has not processed yet")
    boolean force;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "the most events one transaction removes (default: ${DEFAULT-VALUE})")
    int batchSize = EventRetention.DEFAULT_BATCH_SIZE;

    @Override
    int run(Database.Session session) {
        int age = days != null ? days : configuredDays();
        if (age < 1) {
            throw usage("--older-than-days must be >= 1, was " + age);
        }
        if (batchSize < 1) {
            throw usage("--batch-size must be >= 1, was " + batchSize);
        }
        RetentionPolicy policy = RetentionPolicy.maxAge(Duration.ofDays(age));
        EventRetention retention = EventRetention.create(session.dataSource(), session.schema(), batchSize);
        RETENTION_LOG.setLevel(Level.OFF);
        RetentionReport report;
        if (dryRun) {
            report = retention.dryRun(policy);
        } else {
            try (BarOnFirstReport bar = new BarOnFirstReport()) {
                report = force ? retention.force(policy, bar) : retention.run(policy, bar);
            }
        }
        out().println(report.summary());
        return 0;
    }

    /** The progress bar, drawn once retention knows how many events it expects to remove (after its survey). */
    private final class BarOnFirstReport implements RetentionProgress, AutoCloseable {
        private @Nullable Progress progress;

        @Override
        public void removed(long removed, long expected) {
            if (progress == null) {
                progress = new Progress(err(), "cleanup", expected, Progress.onTerminal());
            }
            progress.update(removed, expected);
        }

        @Override
        public void close() {
            if (progress != null) {
                progress.close();
            }
        }
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
