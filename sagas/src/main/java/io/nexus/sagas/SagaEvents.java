package io.nexus.sagas;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.UUID;

/**
 * The bookkeeping events a worker writes in an instance's stream besides the saga's own, so that the stream tells
 * the whole story: when it started, its deadlines, and its end. {@link Saga#evolve} never receives them.
 */
public final class SagaEvents {
    /** Type of {@link Started}. */
    public static final String STARTED = "saga.started";
    /** Type of {@link DeadlineSet}. */
    public static final String DEADLINE_SET = "saga.deadline-set";
    /** Type of {@link DeadlineCancelled}. */
    public static final String DEADLINE_CANCELLED = "saga.deadline-cancelled";
    /** Type of {@link DeadlineFired}. */
    public static final String DEADLINE_FIRED = "saga.deadline-fired";
    /** Type of {@link Ended}: the instance receives no further events. */
    public static final String ENDED = "saga.ended";

    private SagaEvents() {}

    /**
     * Whether {@code type} is one of these bookkeeping types.
     *
     * @param type an event type
     * @return true for the {@code saga.} types above
     */
    public static boolean isBookkeeping(String type) {
        return type.equals(STARTED)
                || type.equals(DEADLINE_SET)
                || type.equals(DEADLINE_CANCELLED)
                || type.equals(DEADLINE_FIRED)
                || type.equals(ENDED);
    }

    /**
     * The instance was started by an event.
     *
     * @param sagaType the saga's type
     * @param sagaId the association id
     * @param triggerType the starting event's type
     * @param triggerEventId the starting event's id
     */
    public record Started(String sagaType, String sagaId, String triggerType, UUID triggerEventId) {
        /**
         * Checks the parts.
         *
         * @param sagaType the saga's type
         * @param sagaId the association id
         * @param triggerType the starting event's type
         * @param triggerEventId the starting event's id
         */
        public Started {
            requireNonNull(sagaType, "sagaType");
            requireNonNull(sagaId, "sagaId");
            requireNonNull(triggerType, "triggerType");
            requireNonNull(triggerEventId, "triggerEventId");
        }
    }

    /**
     * A deadline was set (or moved).
     *
     * @param name its name
     * @param dueAt when it is due, by the worker's clock
     */
    public record DeadlineSet(String name, Instant dueAt) {
        /**
         * Checks the parts.
         *
         * @param name its name
         * @param dueAt when it is due
         */
        public DeadlineSet {
            requireNonNull(name, "name");
            requireNonNull(dueAt, "dueAt");
        }
    }

    /**
     * A deadline was cancelled.
     *
     * @param name its name
     */
    public record DeadlineCancelled(String name) {
        /**
         * Checks the name.
         *
         * @param name its name
         */
        public DeadlineCancelled {
            requireNonNull(name, "name");
        }
    }

    /**
     * A deadline fired; what the saga did about it follows in the same append.
     *
     * @param name its name
     * @param dueAt when it was due
     */
    public record DeadlineFired(String name, Instant dueAt) {
        /**
         * Checks the parts.
         *
         * @param name its name
         * @param dueAt when it was due
         */
        public DeadlineFired {
            requireNonNull(name, "name");
            requireNonNull(dueAt, "dueAt");
        }
    }

    /**
     * The instance ended.
     *
     * @param reason why, as the saga said
     */
    public record Ended(String reason) {
        /**
         * Checks the reason.
         *
         * @param reason why
         */
        public Ended {
            requireNonNull(reason, "reason");
        }
    }
}
