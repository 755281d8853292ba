package io.nexus.spring.boot;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.eventstore.jdbc.ScheduledRetention;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * The retention job of {@code nexus.event-retention-days}, in the application's lifecycle: from start until stop,
 * {@link EventRetention} removes events older than that many days at once and then every {@code
 * nexus.retention-interval}, never one that a subscription, projection or saga has not processed, and logs each run.
 * It runs with the schema owner's role ({@code nexus.postgresql.owner-url}), or with the application's pool when that
 * one may delete events; {@link NexusAutoConfiguration} refuses to start otherwise.
 *
 * <p>Thread-safe: Spring calls {@code start} and {@code stop} one at a time.
 */
public final class NexusRetention implements SmartLifecycle {
    private final EventRetention job;
    private final RetentionPolicy policy;
    private final Duration interval;
    private volatile @Nullable ScheduledRetention running;

    /**
     * The job, not yet started.
     *
     * @param job the retention job, on a pool whose role may remove events
     * @param policy which events go
     * @param interval the pause between runs
     */
    public NexusRetention(EventRetention job, RetentionPolicy policy, Duration interval) {
        this.job = requireNonNull(job, "job");
        this.policy = requireNonNull(policy, "policy");
        this.interval = requireNonNull(interval, "interval");
    }

    @Override
    public void start() {
        running = job.schedule(policy, interval);
    }

    @Override
    public void stop() {
        ScheduledRetention job = running;
        if (job != null) {
            job.close();
        }
        running = null;
    }

    @Override
    public boolean isRunning() {
        return running != null;
    }

    /** {@return the workers' phase: started after them, stopped before the context closes the pools} */
    @Override
    public int getPhase() {
        return NexusWorkers.PHASE;
    }
}
