/**
 * The PostgreSQL event store: {@link io.nexus.eventstore.jdbc.PostgresEventStore} appends a batch in one round trip,
 * reads streams and the gap-safe global order; its default payload serializer is {@link
 * io.nexus.eventstore.json.JacksonEventSerializer}.
 */
@NullMarked
package io.nexus.eventstore.jdbc;

import org.jspecify.annotations.NullMarked;
