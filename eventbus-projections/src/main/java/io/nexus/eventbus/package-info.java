/**
 * The Nexus event bus: {@link io.nexus.eventbus.EventBus} (emit, subscribe, unsubscribe, waitFor, annotation
 * handlers), type patterns, the shared {@link io.nexus.eventbus.BusConfig}, the in-process {@link
 * io.nexus.eventbus.MemoryEventBus} and the durable {@link io.nexus.eventbus.PostgresEventBus} with its {@link
 * io.nexus.eventbus.DurableSubscription durable subscriptions} and {@link io.nexus.eventbus.DeadLetter dead letters};
 * and JDBC {@link io.nexus.eventbus.Projection}s run by the lease-coordinated {@link
 * io.nexus.eventbus.ProjectionDaemon}. Handlers always receive a {@link io.nexus.eventstore.core.RecordedEvent}, so a
 * handler written against the memory backend runs unchanged behind a durable one.
 */
@NullMarked
package io.nexus.eventbus;

import org.jspecify.annotations.NullMarked;
