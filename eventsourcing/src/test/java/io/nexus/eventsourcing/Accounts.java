package io.nexus.eventsourcing;

import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import java.util.ArrayList;
import java.util.List;

/** A small bank account aggregate for the tests: records and sealed interfaces, no base class. */
final class Accounts {
    private Accounts() {}

    sealed interface Command {}

    record Open(String owner) implements Command {}

    record Deposit(long cents) implements Command {}

    /** Deposits 1 cent {@code count} times: many events from one command. */
    record DepositMany(int count) implements Command {}

    record Withdraw(long cents) implements Command {}

    sealed interface Event {}

    @EventType("test.account.opened")
    record Opened(String owner) implements Event {}

    @EventType("test.account.deposited")
    record Deposited(long cents) implements Event {}

    @EventType("test.account.withdrawn")
    record Withdrawn(long cents) implements Event {}

    record Account(String owner, long balance) {
        static final Account NONE = new Account("", 0);
    }

    static final class InsufficientFunds extends RuntimeException {
        InsufficientFunds(long balance, long wanted) {
            super("balance " + balance + " is less than " + wanted);
        }
    }

    static Account evolve(Account account, Event event) {
        if (event instanceof Opened opened) {
            return new Account(opened.owner(), account.balance());
        } else if (event instanceof Deposited deposited) {
            return new Account(account.owner(), account.balance() + deposited.cents());
        } else if (event instanceof Withdrawn withdrawn) {
            return new Account(account.owner(), account.balance() - withdrawn.cents());
        }
        throw new AssertionError("unknown event " + event);
    }

    static List<Event> decide(Command command, Account account) {
        if (command instanceof Open open) {
            return account.owner().isEmpty() ? List.of(new Opened(open.owner())) : List.of();
        } else if (command instanceof Deposit deposit) {
            return List.of(new Deposited(deposit.cents()));
        } else if (command instanceof DepositMany many) {
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < many.count(); i++) {
                events.add(new Deposited(1));
            }
            return events;
        } else if (command instanceof Withdraw withdraw) {
            if (account.balance() < withdraw.cents()) {
                throw new InsufficientFunds(account.balance(), withdraw.cents());
            }
            return List.of(new Withdrawn(withdraw.cents()));
        }
        throw new AssertionError("unknown command " + command);
    }

    static final Decider<Command, Event, Account> DECIDER =
            Decider.of(Account.NONE, Accounts::evolve, Accounts::decide);

    static AggregateType.Builder<Command, Event, Account> type() {
        return AggregateType.builder("account", DECIDER, Account.class, Event.class);
    }

    static EventTypeRegistry registry() {
        return EventTypeRegistry.builder()
                .register(Opened.class, Deposited.class, Withdrawn.class)
                .build();
    }
}
