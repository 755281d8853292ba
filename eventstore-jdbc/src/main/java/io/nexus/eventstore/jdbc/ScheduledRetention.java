package io.nexus.eventstore.jdbc;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A retention job run on a schedule, made by {@link EventRetention#schedule(RetentionPolicy, Duration)}: the policy is
 * applied at once and then after each interval, until {@link #close()}. Thread-safe.
 */
public final class ScheduledRetention implements AutoCloseable {
    private static final Logger LOG = System.getLogger(ScheduledRetention.class.getName());

    private final ScheduledExecutorService scheduler;

    @SuppressWarnings("FutureReturnValueIgnored") // each run logs its own failure; close() stops the scheduler
    ScheduledRetention(EventRetention job, String schema, RetentionPolicy policy, Duration interval) {
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "nexus-retention-" + schema);
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        job.run(policy); // logs its report: what went, and what it held back for whom
                    } catch (RuntimeException e) {
                        LOG.log(
                                Level.WARNING,
                                "retention " + policy + " in schema " + schema + " failed (removal needs the schema"
                                        + " owner's role); the next run is in " + interval + ": " + e.getMessage(),
                                e);
                    }
                },
                0,
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Stops the job: no run starts after this, and a run in progress is interrupted (its finished batches stay). */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
