package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The bus settings every backend reads, named after the seed's configuration keys ({@code max_queue_size}, {@code
 * worker_count}, {@code retry_attempts}, {@code retry_delay}, {@code exponential_backoff}, {@code batch_size}, {@code
 * flush_interval}, {@code metrics}). A backend refuses, when it is built, a value other than the default for a key it
 * cannot honour (the memory bus: the retry, batch and polling keys; the PostgreSQL bus: {@code max_queue_size} and
 * {@code emit_timeout}), so that no chosen value is silently ignored. Immutable; build with {@link #builder()}, start
 * from {@link #defaults()}.
 *
 * @param maxQueueSize how many emitted events may wait for dispatch before {@code emit} blocks
 * @param workerCount how many threads dispatch events (and, in durable backends, run subscriptions)
 * @param emitTimeout how long {@code emit} waits for queue space before throwing {@link BusOverloadedException}
 * @param retryAttempts how often a durable subscription retries a failed event before dead-lettering it
 * @param retryDelay the delay before the first retry
 * @param exponentialBackoff whether each further retry doubles the delay
 * @param batchSize how many events a durable subscription reads per round trip
 * @param flushInterval how often a durable subscription polls when no notification arrives
 * @param metricsEnabled whether to record metrics: in the meter registry given in code or, for a bus made by {@link
 *     EventBuses} without one, in Micrometer's global registry
 */
public record BusConfig(
        int maxQueueSize,
        int workerCount,
        Duration emitTimeout,
        int retryAttempts,
        Duration retryDelay,
        boolean exponentialBackoff,
        int batchSize,
        Duration flushInterval,
        boolean metricsEnabled) {

    /** Default {@link #maxQueueSize()}: 10,000 events. */
    public static final int DEFAULT_MAX_QUEUE_SIZE = 10_000;
    /** Default {@link #workerCount()}: 1, which keeps dispatch in strict priority-then-FIFO order. */
    public static final int DEFAULT_WORKER_COUNT = 1;
    /** Default {@link #emitTimeout()}: 5 seconds. */
    public static final Duration DEFAULT_EMIT_TIMEOUT = Duration.ofSeconds(5);
    /** Default {@link #retryAttempts()}: 3. */
    public static final int DEFAULT_RETRY_ATTEMPTS = 3;
    /** Default {@link #retryDelay()}: 1 second. */
    public static final Duration DEFAULT_RETRY_DELAY = Duration.ofSeconds(1);
    /** Default {@link #exponentialBackoff()}: true. */
    public static final boolean DEFAULT_EXPONENTIAL_BACKOFF = true;
    /** Default {@link #batchSize()}: 100 events. */
    public static final int DEFAULT_BATCH_SIZE = 100;
    /** Default {@link #flushInterval()}: 100 milliseconds. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofMillis(100);
    /** Default {@link #metricsEnabled()}: true (see {@link #metricsEnabled()} for where they are recorded). */
    public static final boolean DEFAULT_METRICS_ENABLED = true;
    /** The largest {@link #workerCount()} accepted. */
    public static final int MAX_WORKER_COUNT = 1024;

    /**
     * Checks every value as the builder does; throws {@link IllegalArgumentException} quoting a bad one.
     *
     * @param maxQueueSize how many emitted events may wait for dispatch before {@code emit} blocks
     * @param workerCount how many threads dispatch events (and, in durable backends, run subscriptions)
     * @param emitTimeout how long {@code emit} waits for queue space before throwing {@link BusOverloadedException}
     * @param retryAttempts how often a durable subscription retries a failed event before dead-lettering it
     * @param retryDelay the delay before the first retry
     * @param exponentialBackoff whether each further retry doubles the delay
     * @param batchSize how many events a durable subscription reads per round trip
     * @param flushInterval how often a durable subscription polls when no notification arrives
     * @param metricsEnabled whether to record metrics when a meter registry is given
     */
    public BusConfig {
        checkAtLeast("maxQueueSize", maxQueueSize, 1);
        checkWorkerCount(workerCount);
        checkNotNegative("emitTimeout", emitTimeout);
        checkAtLeast("retryAttempts", retryAttempts, 0);
        checkNotNegative("retryDelay", retryDelay);
        checkAtLeast("batchSize", batchSize, 1);
        checkPositive("flushInterval", flushInterval);
    }

    /** {@return the configuration with every default} */
    public static BusConfig defaults() {
        return builder().build();
    }

    /** {@return a builder starting from the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from this configuration's values} */
    public Builder toBuilder() {
        return new Builder()
                .maxQueueSize(maxQueueSize)
                .workerCount(workerCount)
                .emitTimeout(emitTimeout)
                .retryAttempts(retryAttempts)
                .retryDelay(retryDelay)
                .exponentialBackoff(exponentialBackoff)
                .batchSize(batchSize)
                .flushInterval(flushInterval)
                .metricsEnabled(metricsEnabled);
    }

    private static void checkAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
        }
    }

    private static void checkWorkerCount(int workerCount) {
        if (workerCount < 1 || workerCount > MAX_WORKER_COUNT) {
            throw new IllegalArgumentException("workerCount must be 1 to " + MAX_WORKER_COUNT + ", was " + workerCount);
        }
    }

    private static void checkPositive(String name, Duration value) {
        checkNotNegative(name, value);
        if (value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }

    private static void checkNotNegative(String name, Duration value) {
        requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + value);
        }
    }

    /** Collects settings, checking each as it is set; not thread-safe. */
    public static final class Builder {
        private int maxQueueSize = DEFAULT_MAX_QUEUE_SIZE;
        private int workerCount = DEFAULT_WORKER_COUNT;
        private Duration emitTimeout = DEFAULT_EMIT_TIMEOUT;
        private int retryAttempts = DEFAULT_RETRY_ATTEMPTS;
        private Duration retryDelay = DEFAULT_RETRY_DELAY;
        private boolean exponentialBackoff = DEFAULT_EXPONENTIAL_BACKOFF;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private Duration flushInterval = DEFAULT_FLUSH_INTERVAL;
        private boolean metricsEnabled = DEFAULT_METRICS_ENABLED;

        private Builder() {}

        /**
         * At least 1. Default: {@value #DEFAULT_MAX_QUEUE_SIZE}.
         *
         * @param maxQueueSize how many emitted events may wait for dispatch before {@code emit} blocks
         * @return this builder
         * @throws IllegalArgumentException if the value is out of range, quoting it
         */
        public Builder maxQueueSize(int maxQueueSize) {
            checkAtLeast("maxQueueSize", maxQueueSize, 1);
            this.maxQueueSize = maxQueueSize;
            return this;
        }

        /**
         * 1 to {@value #MAX_WORKER_COUNT}. Default: {@value #DEFAULT_WORKER_COUNT}.
         *
         * @param workerCount how many threads dispatch events (and, in durable backends, run subscriptions)
         * @return this builder
         * @throws IllegalArgumentException if the value is out of range, quoting it
         */
        public Builder workerCount(int workerCount) {
            checkWorkerCount(workerCount);
            this.workerCount = workerCount;
            return this;
        }

        /**
         * Zero or more; zero fails at once on a full queue. Default: {@link #DEFAULT_EMIT_TIMEOUT}, 5 s.
         *
         * @param emitTimeout how long {@code emit} waits for queue space before throwing {@link
         *     BusOverloadedException}
         * @return this builder
         * @throws IllegalArgumentException if the value is out of range, quoting it
         */
        public Builder emitTimeout(Duration emitTimeout) {
            checkNotNegative("emitTimeout", emitTimeout);
            this.emitTimeout = emitTimeout;
            return this;
        }

        /**
         * Zero or more; zero dead-letters on the first failure. Default: {@value #DEFAULT_RETRY_ATTEMPTS}.
         *
         * @param retryAttempts how often a durable subscription retries a failed event before dead-lettering it
         * @return this builder
         * @throws IllegalArgumentException if the value is out of range, quoting it
         */
        public Builder retryAttempts(int retryAttempts) {
            checkAtLeast("retryAttempts", retryAttempts, 0);
            this.retryAttempts = retryAttempts;
            return this;
        }

        /**
         * Zero or more. Default: {@link #DEFAULT_RETRY_DELAY}, 1 s.
         *
         * @param retryDelay the delay before the first retry
         * @return this builder
         * @throws IllegalArgumentException if the value is out of range, quoting it
         */
        public Builder retryDelay(Duration retryDelay) {
            checkNotNegative("retryDelay", retryDelay);
            this.retryDelay = retryDelay;
            return this;
        }

        /**
         * Default: {@value #DEFAULT_EXPONENTIAL_BACKOFF}.
         *
         * @param exponentialBackoff whether each further retry doubles the delay
         * @return this builder
         */
        public Builder exponentialBackoff(boolean exponentialBackoff) {
            this.exponentialBackoff = exponentialBackoff;
            return this;
        }

        /**
         * At least 1. Default: {@value #DEFAULT_BATCH_SIZE}.
         *
         * @param batchSize how many events a durable subscription reads per round trip
         * @return this builder
         * @throws IllegalArgumentException if the value is out of range, quoting it
         */
        public Builder batchSize(int batchSize) {
            checkAtLeast("batchSize", batchSize, 1);
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Positive. Default: {@link #DEFAULT_FLUSH_INTERVAL}, 100 ms.
         *
         * @param flushInterval how often a durable subscription polls when no notification arrives
         * @return this builder
         * @throws IllegalArgumentException if the value is out of range, quoting it
         */
        public Builder flushInterval(Duration flushInterval) {
            checkPositive("flushInterval", flushInterval);
            this.flushInterval = flushInterval;
            return this;
        }

        /**
         * Default: {@value #DEFAULT_METRICS_ENABLED}.
         *
         * @param metricsEnabled whether to record metrics when a meter registry is given
         * @return this builder
         */
        public Builder metricsEnabled(boolean metricsEnabled) {
            this.metricsEnabled = metricsEnabled;
            return this;
        }

        /** {@return the configuration; the builder may be reused} */
        public BusConfig build() {
            return new BusConfig(
                    maxQueueSize,
                    workerCount,
                    emitTimeout,
                    retryAttempts,
                    retryDelay,
                    exponentialBackoff,
                    batchSize,
                    flushInterval,
                    metricsEnabled);
        }
    }
}
