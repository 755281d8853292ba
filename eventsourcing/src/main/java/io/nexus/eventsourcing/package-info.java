/**
 * Aggregates on any {@link io.nexus.eventstore.core.EventStore}: a {@link io.nexus.eventsourcing.Decider} (initial
 * state, {@code evolve}, {@code decide}) written with records and sealed interfaces, no base class and no reflection;
 * an {@link io.nexus.eventsourcing.AggregateType} that names it and sets its snapshots; and an {@link
 * io.nexus.eventsourcing.AggregateRepository} that loads (latest snapshot plus the events after it), decides, appends
 * with the loaded version as the expected version, retries on a conflict when asked to, and snapshots after the commit.
 */
@NullMarked
package io.nexus.eventsourcing;

import org.jspecify.annotations.NullMarked;
