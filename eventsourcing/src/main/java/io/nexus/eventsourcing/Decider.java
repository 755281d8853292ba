package io.nexus.eventsourcing;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.function.BiFunction;

/**
 * The decision logic of one aggregate type, as three pure functions: where a new aggregate starts, how an event
 * changes the state, and which events a command produces. No base class and no reflection: write it with a record
 * for the state and sealed interfaces for commands and events.
 *
 * <pre>{@code
 * Decider<AccountCommand, AccountEvent, Account> decider = Decider.of(
 *         Account.NONE,
 *         (account, event) -> account.apply(event),          // evolve: never fails, never looks elsewhere
 *         (command, account) -> account.handle(command));   // decide: events, or throws a domain error
 * }</pre>
 *
 * <p>{@code evolve} must be deterministic and side-effect free: it folds history, including events written by older
 * code. {@code decide} may throw to refuse a command; nothing is then appended. Implementations must be thread-safe
 * (the lambdas above are, when the state is immutable).
 *
 * @param <C> the commands
 * @param <E> the events
 * @param <S> the state
 */
public interface Decider<C, E, S> {
    /** {@return the state of an aggregate that has no events yet} */
    S initialState();

    /**
     * Folds one event into the state.
     *
     * @param state the state before the event
     * @param event the event
     * @return the state after it
     */
    S evolve(S state, E event);

    /**
     * Decides what {@code command} does to an aggregate in {@code state}.
     *
     * @param command the command
     * @param state the aggregate's current state
     * @return the new events, in order; empty when the command changes nothing
     * @throws RuntimeException any domain error refusing the command; nothing is appended
     */
    List<E> decide(C command, S state);

    /**
     * A decider made of three functions.
     *
     * @param initialState the state of an aggregate without events
     * @param evolve folds one event into the state
     * @param decide the events a command produces in a state
     * @param <C> the commands
     * @param <E> the events
     * @param <S> the state
     * @return the decider
     */
    static <C, E, S> Decider<C, E, S> of(S initialState, BiFunction<S, E, S> evolve, BiFunction<C, S, List<E>> decide) {
        requireNonNull(initialState, "initialState");
        requireNonNull(evolve, "evolve");
        requireNonNull(decide, "decide");
        return new Decider<>() {
            @Override
            public S initialState() {
                return initialState;
            }

            @Override
            public S evolve(S state, E event) {
                return evolve.apply(state, event);
            }

            @Override
            public List<E> decide(C command, S state) {
                return decide.apply(command, state);
            }
        };
    }
}
