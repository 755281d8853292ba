/**
 * JSON on Jackson, for every module that needs it without pulling in the PostgreSQL store: {@link
 * io.nexus.eventstore.json.JacksonEventSerializer} is the default payload serializer of the store and the relays, and
 * {@link io.nexus.eventstore.json.EventEnvelopeJson} is the envelope in which the broker relays carry an event.
 */
@NullMarked
package io.nexus.eventstore.json;

import org.jspecify.annotations.NullMarked;
