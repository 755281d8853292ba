package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/**
 * The settings every bus builder shares, so that {@link MemoryEventBus.Builder} and {@link PostgresEventBus.Builder}
 * check and document them once. Each setter checks its value at once. Not thread-safe.
 *
 * @param <B> the concrete builder, returned by every setter for chaining
 */
abstract class BusBuilder<B extends BusBuilder<B>> {
    BusConfig.Builder config = BusConfig.builder();
    StreamRouter router = StreamRouter.byType();
    boolean tracing = NexusConfig.DEFAULT_TRACING;
    HandlerFailureListener failureListener = HandlerFailureListener.logging();

    @Nullable
    MeterRegistry meterRegistry;

    BusBuilder() {}

    @SuppressWarnings("unchecked") // B is the class of this object by the subclasses' declarations
    final B self() {
        return (B) this;
    }

    /** Takes every setting of {@code config}, replacing earlier ones. Default: {@link BusConfig#defaults()}. */
    public B config(BusConfig config) {
        this.config = requireNonNull(config, "config").toBuilder();
        return self();
    }

    /**
     * Whether an event emitted while a listener of this bus handles another takes the other's correlation id (or,
     * without one, its event id) and its event id as causation id, where it has none of its own. When false, emitted
     * events keep exactly the ids they were given. Default: {@link NexusConfig#DEFAULT_TRACING}, true; {@code tracing}
     * in {@link NexusConfig}.
     */
    public B tracing(boolean tracing) {
        this.tracing = tracing;
        return self();
    }

    /**
     * Where to record metrics (the bus's class comment lists them). Nothing is recorded without a registry or with
     * {@link BusConfig#metricsEnabled()} off. Processed-event meters carry the event type as a tag, one meter per type: meant
     * for the bounded set of types an application declares. Default: none ({@link EventBuses} gives Micrometer's global
     * registry).
     */
    public B meterRegistry(MeterRegistry meterRegistry) {
        this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
        return self();
    }

    /** Chooses each emitted event's stream. Default: {@link StreamRouter#byType()}. */
    public B streamRouter(StreamRouter router) {
        this.router = requireNonNull(router, "router");
        return self();
    }

    /** Told when an in-process listener throws. Default: {@link HandlerFailureListener#logging()}. */
    public B failureListener(HandlerFailureListener failureListener) {
        this.failureListener = requireNonNull(failureListener, "failureListener");
        return self();
    }
}
