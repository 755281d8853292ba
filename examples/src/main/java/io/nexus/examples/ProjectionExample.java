package io.nexus.examples;

import io.nexus.eventbus.Projection;
import io.nexus.eventbus.ProjectionDaemon;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.examples.BankAccountExample.AccountOpened;
import io.nexus.examples.BankAccountExample.MoneyDeposited;
import io.nexus.examples.BankAccountExample.MoneyWithdrawn;
import io.nexus.migrations.EventStoreSchema;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;

/**
 * A JDBC projection: a table of account balances that a {@link ProjectionDaemon} keeps up to date from the bank
 * account events, each batch committed together with the projection's checkpoint. After an append, the example waits
 * for the projection to have processed it (read-your-writes) and queries the table.
 */
public final class ProjectionExample {
    private ProjectionExample() {}

    /** The read model: one row per account. */
    static final class AccountBalances implements Projection {
        @Override
        public String name() {
            return "account-balances";
        }

        @Override
        public EventFilter filter() {
            return EventFilter.categories("account");
        }

        @Override
        public void apply(Handle handle, RecordedEvent event) {
            Object data = event.data();
            if (data instanceof AccountOpened opened) {
                handle.createUpdate("INSERT INTO account_balances (account_id, owner, balance) VALUES (:id, :owner, 0)")
                        .bind("id", opened.accountId())
                        .bind("owner", opened.owner())
                        .execute();
            } else if (data instanceof MoneyDeposited deposited) {
                change(handle, deposited.accountId(), deposited.amount());
            } else if (data instanceof MoneyWithdrawn withdrawn) {
                change(handle, withdrawn.accountId(), withdrawn.amount().negate());
            }
        }

        private static void change(Handle handle, String accountId, BigDecimal amount) {
            handle.createUpdate("UPDATE account_balances SET balance = balance + :amount WHERE account_id = :id")
                    .bind("id", accountId)
                    .bind("amount", amount)
                    .execute();
        }

        @Override
        public void reset(Handle handle) {
            handle.execute("DELETE FROM account_balances");
        }
    }

    /** Runs the example on {@code dataSource}; returns Alice's balance as the read model has it. */
    public static BigDecimal run(DataSource dataSource, PrintStream out) throws InterruptedException {
        EventStoreSchema.migrate(dataSource, "bank");
        try (Handle handle = org.jdbi.v3.core.Jdbi.open(dataSource)) {
            handle.execute("CREATE TABLE IF NOT EXISTS account_balances"
                    + " (account_id text PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL)");
        }
        EventTypeRegistry types = EventTypeRegistry.builder()
                .register(AccountOpened.class, MoneyDeposited.class, MoneyWithdrawn.class)
                .build();
        try (PostgresEventStore store = PostgresEventStore.builder(dataSource)
                        .schema("bank")
                        .types(types)
                        .build();
                ProjectionDaemon daemon = ProjectionDaemon.builder(store, dataSource)
                        .register(new AccountBalances())
                        .build()
                        .start()) {
            StreamId alice = StreamId.of("account", "alice-" + Long.toString(System.nanoTime(), 36));
            AppendResult appended = store.append(
                    alice,
                    ExpectedVersion.noStream(),
                    List.of(
                            NewEvent.of(new AccountOpened(alice.value(), "Alice")),
                            NewEvent.of(new MoneyDeposited(alice.value(), new BigDecimal("100.00"))),
                            NewEvent.of(new MoneyWithdrawn(alice.value(), new BigDecimal("30.00")))));

            daemon.awaitProjection("account-balances", appended, Duration.ofSeconds(30));

            try (Handle handle = org.jdbi.v3.core.Jdbi.open(dataSource)) {
                BigDecimal balance = handle.createQuery("SELECT balance FROM account_balances WHERE account_id = :id")
                        .bind("id", alice.value())
                        .mapTo(BigDecimal.class)
                        .one();
                out.printf("Projection 'account-balances' has %s at %s%n", alice, balance);
                return balance;
            }
        }
    }
}
