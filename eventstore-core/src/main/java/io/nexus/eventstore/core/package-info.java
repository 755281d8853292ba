/**
 * The Nexus event store API: streams, expected versions, new and recorded events, the {@link
 * io.nexus.eventstore.core.EventStore} interface, the type registry and the exception hierarchy. Nothing here knows
 * SQL; {@link io.nexus.eventstore.core.InMemoryEventStore} implements the same contract without a database.
 */
@NullMarked
package io.nexus.eventstore.core;

import org.jspecify.annotations.NullMarked;
