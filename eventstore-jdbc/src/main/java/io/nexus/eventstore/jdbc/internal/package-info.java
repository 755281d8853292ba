/** Not API; may change in any release. SQL, row mapping, sequencing and error translation of the PostgreSQL store. */
@NullMarked
package io.nexus.eventstore.jdbc.internal;

import org.jspecify.annotations.NullMarked;
