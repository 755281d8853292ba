/** Extension points of the event store: how event payloads become JSON text and back. */
@NullMarked
package io.nexus.eventstore.core.spi;

import org.jspecify.annotations.NullMarked;
