package io.nexus.examples;

import io.nexus.eventsourcing.AggregateType;
import io.nexus.eventsourcing.Decider;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import java.util.List;

/**
 * The bank account as an aggregate: commands and events are sealed interfaces of records, the state a record, and
 * the logic two pure functions. No base class, no annotations beyond the event type names.
 */
public final class BankAccountAggregate {
    private BankAccountAggregate() {}

    /** What a caller asks of an account. */
    public sealed interface Command {}

    /** Opens the account for {@code owner}; opening it again does nothing. */
    public record Open(String owner) implements Command {}

    /** Puts money in, in cents. */
    public record Deposit(long cents) implements Command {}

    /** Takes money out, in cents; refused beyond the balance. */
    public record Withdraw(long cents) implements Command {}

    /** What happened to an account. */
    public sealed interface Event {}

    /** The account was opened. */
    @EventType("account.opened")
    public record Opened(String owner) implements Event {}

    /** Money was deposited. */
    @EventType("account.deposited")
    public record Deposited(long cents) implements Event {}

    /** Money was withdrawn. */
    @EventType("account.withdrawn")
    public record Withdrawn(long cents) implements Event {}

    /** The account's state, folded from its events (and kept in snapshots). */
    public record Account(String owner, long balanceCents) {
        /** An account with no events. */
        public static final Account NONE = new Account("", 0);
    }

    /** A withdrawal beyond the balance. */
    public static final class InsufficientFunds extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InsufficientFunds(long balance, long wanted) {
            super("cannot withdraw " + wanted + " cents from a balance of " + balance);
        }
    }

    static Account evolve(Account account, Event event) {
        if (event instanceof Opened opened) {
            return new Account(opened.owner(), account.balanceCents());
        } else if (event instanceof Deposited deposited) {
            return new Account(account.owner(), account.balanceCents() + deposited.cents());
        } else if (event instanceof Withdrawn withdrawn) {
            return new Account(account.owner(), account.balanceCents() - withdrawn.cents());
        }
        throw new AssertionError("unknown event " + event);
    }

    static List<Event> decide(Command command, Account account) {
        if (command instanceof Open open) {
            return account.owner().isEmpty() ? List.of(new Opened(open.owner())) : List.of();
        }
        if (account.owner().isEmpty()) {
            throw new IllegalStateException("the account is not open");
        }
        if (command instanceof Deposit deposit) {
            return List.of(new Deposited(deposit.cents()));
        } else if (command instanceof Withdraw withdraw) {
            if (withdraw.cents() > account.balanceCents()) {
                throw new InsufficientFunds(account.balanceCents(), withdraw.cents());
            }
            return List.of(new Withdrawn(withdraw.cents()));
        }
        throw new AssertionError("unknown command " + command);
    }

    /** The aggregate type: streams {@code account-<id>}, a snapshot every 100 events. */
    public static final AggregateType<Command, Event, Account> TYPE = AggregateType.builder(
                    "account",
                    Decider.<Command, Event, Account>of(
                            Account.NONE, BankAccountAggregate::evolve, BankAccountAggregate::decide),
                    Account.class,
                    Event.class)
            .snapshotEvery(100)
            .build();

    /** The event classes, for the store's type registry. */
    public static final EventTypeRegistry TYPES = EventTypeRegistry.builder()
            .register(Opened.class, Deposited.class, Withdrawn.class)
            .build();
}
