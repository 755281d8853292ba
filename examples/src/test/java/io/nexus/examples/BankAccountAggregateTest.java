package io.nexus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.examples.BankAccountAggregate.Account;
import io.nexus.examples.BankAccountAggregate.Command;
import io.nexus.examples.BankAccountAggregate.Deposit;
import io.nexus.examples.BankAccountAggregate.Deposited;
import io.nexus.examples.BankAccountAggregate.Event;
import io.nexus.examples.BankAccountAggregate.InsufficientFunds;
import io.nexus.examples.BankAccountAggregate.Open;
import io.nexus.examples.BankAccountAggregate.Opened;
import io.nexus.examples.BankAccountAggregate.Withdraw;
import io.nexus.examples.BankAccountAggregate.Withdrawn;
import io.nexus.fixtures.AggregateFixture;
import org.junit.jupiter.api.Test;

/** The bank account's rules, given / when / then on the in-memory store (nexus-test-fixtures). */
class BankAccountAggregateTest {
    private final AggregateFixture<Command, Event, Account> fixture = AggregateFixture.of(BankAccountAggregate.TYPE);

    @Test
    void a_withdrawal_within_the_balance_is_accepted() {
        fixture.given(new Opened("Alice"), new Deposited(100))
                .when(new Withdraw(30))
                .thenEvents(new Withdrawn(30))
                .thenState(new Account("Alice", 70));
    }

    @Test
    void a_withdrawal_beyond_the_balance_is_refused() {
        InsufficientFunds refused =
                fixture.given(new Opened("Alice")).when(new Withdraw(1)).thenError(InsufficientFunds.class);

        assertThat(refused).hasMessage("cannot withdraw 1 cents from a balance of 0");
    }

    @Test
    void opening_twice_changes_nothing() {
        fixture.given(new Opened("Alice")).when(new Open("Bob")).thenNoEvents();
    }

    @Test
    void a_deposit_on_an_account_never_opened_is_refused() {
        fixture.given().when(new Deposit(5)).thenError(IllegalStateException.class);
    }
}
