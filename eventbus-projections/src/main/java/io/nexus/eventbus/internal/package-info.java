/**
 * Not API; may change in any release. The dispatch machinery every bus backend shares: the subscription table,
 * waiters, the "current event" context that propagates correlation and causation ids, annotation scanning, and the one
 * checkpointed consumer ({@link io.nexus.eventbus.internal.CheckpointedConsumer}) under durable subscriptions and
 * projections: leases, checkpoints and dead letters on {@code subscriptions}, with a pluggable delivery.
 */
@NullMarked
package io.nexus.eventbus.internal;

import org.jspecify.annotations.NullMarked;
