/**
 * Not API; may change in any release. How a saga worker runs a saga: partitions as projections of the engine, the
 * fold of an instance's stream, the plan of a step, deadlines and worker heartbeats in SQL.
 */
@NullMarked
package io.nexus.sagas.internal;

import org.jspecify.annotations.NullMarked;
