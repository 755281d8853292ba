/**
 * The PostgreSQL event store: {@link io.nexus.eventstore.jdbc.PostgresEventStore} appends a batch in one round trip,
 * reads streams and the gap-safe global order, and {@link io.nexus.eventstore.jdbc.JacksonEventSerializer} is the
 * default payload serializer.
 */
@NullMarked
package io.nexus.eventstore.jdbc;

import org.jspecify.annotations.NullMarked;
