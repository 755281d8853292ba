/**
 * Not API; may change in any release. The dispatch machinery every bus backend shares: the subscription table,
 * waiters, the "current event" context that propagates correlation and causation ids, annotation scanning, and the SQL on projection rows (leases and checkpoints).
 */
@NullMarked
package io.nexus.eventbus.internal;

import org.jspecify.annotations.NullMarked;
