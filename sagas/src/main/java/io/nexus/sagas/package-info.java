/**
 * Sagas whose state is rebuilt from history: a {@link io.nexus.sagas.Saga} declares which events start it, which
 * field ties an event to an instance, how its state evolves from its own events and what it does on each event; a
 * {@link io.nexus.sagas.SagaWorker} runs it on the checkpointed projection engine. Each instance keeps its own stream
 * ({@code saga-<type>-<id>}), and one handled event commits the saga's new events, what it emits, its deadlines and
 * the checkpoint in one transaction.
 */
@NullMarked
package io.nexus.sagas;

import org.jspecify.annotations.NullMarked;
