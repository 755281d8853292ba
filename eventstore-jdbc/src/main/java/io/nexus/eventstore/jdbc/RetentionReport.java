package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;

/**
 * What one {@link EventRetention} run did, or in a dry run would do.
 *
 * @param policy the policy applied
 * @param mode how it ran
 * @param matched how many events the policy matched when the run started
 * @param removed how many events the run removed; in a dry run, how many a normal run would remove now
 * @param unprocessed how many matched events at least one consumer had not processed when the run started: kept by a
 *     normal run (held back), removed by a forced one (skipped by those consumers)
 * @param consumers each consumer behind some matched event, with how many of them it had not processed
 * @param batches how many batches (transactions) removed events
 */
public record RetentionReport(
        RetentionPolicy policy,
        Mode mode,
        long matched,
        long removed,
        long unprocessed,
        List<Consumer> consumers,
        int batches) {

    /** How a run went about its work. */
    public enum Mode {
        /** Removes what the policy matches, except what a consumer has not processed yet. */
        RUN,
        /** Removes what the policy matches, processed or not, and reports what each consumer skipped. */
        FORCE,
        /** Removes nothing; reports what {@link #RUN} would remove and what it would hold back. */
        DRY_RUN
    }

    /**
     * A row of the {@code subscriptions} table (a durable subscription, a projection, a saga: any kind), or the dead
     * letters of one, that had not processed some matched events.
     *
     * @param name the row's name
     * @param kind the row's kind, such as {@code subscription} or {@code projection}; {@code dead letters} for the
     *     dead letters kept for re-delivery to {@code name}
     * @param checkpoint the last position it had processed (for dead letters: the position before the oldest one)
     * @param events how many matched events lie after that position
     */
    public record Consumer(String name, String kind, long checkpoint, long events) {
        /**
         * Checks the components.
         *
         * @param name the row's name
         * @param kind the row's kind
         * @param checkpoint the last position it had processed
         * @param events how many matched events lie after that position
         */
        public Consumer {
            requireNonNull(name, "name");
            requireNonNull(kind, "kind");
        }
    }

    /**
     * Checks the components.
     *
     * @param policy the policy applied
     * @param mode how it ran
     * @param matched how many events the policy matched when the run started
     * @param removed how many events the run removed (would remove, in a dry run)
     * @param unprocessed how many matched events at least one consumer had not processed
     * @param consumers each consumer behind some matched event
     * @param batches how many batches removed events
     */
    public RetentionReport {
        requireNonNull(policy, "policy");
        requireNonNull(mode, "mode");
        consumers = List.copyOf(consumers);
    }

    /** {@return how many matched events were kept because a consumer had not processed them; 0 when forced} */
    public long heldBack() {
        return mode == Mode.FORCE ? 0 : unprocessed;
    }

    /** {@return one line for a log: what went, what stayed and for whom} */
    public String summary() {
        StringBuilder line = new StringBuilder("retention ")
                .append(mode.name().toLowerCase(Locale.ROOT).replace('_', ' '))
                .append(" of ")
                .append(policy)
                .append(": ")
                .append(matched)
                .append(" event(s) matched, ")
                .append(removed)
                .append(mode == Mode.DRY_RUN ? " would be removed" : " removed");
        if (unprocessed > 0) {
            line.append(", ")
                    .append(unprocessed)
                    .append(mode == Mode.FORCE ? " removed although unprocessed by " : " held back for ");
            for (int i = 0; i < consumers.size(); i++) {
                Consumer consumer = consumers.get(i);
                line.append(i == 0 ? "" : ", ")
                        .append(consumer.kind())
                        .append(" '")
                        .append(consumer.name())
                        .append("' at ")
                        .append(consumer.checkpoint())
                        .append(" (")
                        .append(consumer.events())
                        .append(')');
            }
        }
        return line.toString();
    }
}
