package io.nexus.examples;

import io.nexus.eventsourcing.Aggregate;
import io.nexus.eventsourcing.AggregateRepository;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.PostgresSnapshotStore;
import io.nexus.examples.BankAccountAggregate.Account;
import io.nexus.examples.BankAccountAggregate.Command;
import io.nexus.examples.BankAccountAggregate.Deposit;
import io.nexus.examples.BankAccountAggregate.Event;
import io.nexus.examples.BankAccountAggregate.InsufficientFunds;
import io.nexus.examples.BankAccountAggregate.Open;
import io.nexus.examples.BankAccountAggregate.Withdraw;
import io.nexus.migrations.EventStoreSchema;
import java.io.PrintStream;
import javax.sql.DataSource;

/**
 * The bank account as an aggregate with snapshots ({@link BankAccountAggregate}): 250 deposits, a refused and an
 * accepted withdrawal, and a load that reads the latest snapshot and the few events after it. With no argument it
 * starts an embedded PostgreSQL 17; give a JDBC URL ({@code --jdbc-url} or {@code NEXUS_JDBC_URL}) to use your own. Run it with
 * {@code mvn -B -q -pl examples -am package exec:java -DskipTests -Dexec.mainClass=io.nexus.examples.AggregateExample}.
 */
public final class AggregateExample {
    /** What a run did, for the example's test. */
    public record Summary(Account account, long version, long eventsReadByLoad) {}

    private AggregateExample() {}

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> run(dataSource, out));
    }

    /** Runs the example on {@code dataSource} and prints what it does to {@code out}. */
    public static Summary run(DataSource dataSource, PrintStream out) {
        EventStoreSchema.migrate(dataSource, "bank");
        try (PostgresEventStore store = PostgresEventStore.builder(dataSource)
                .schema("bank")
                .types(BankAccountAggregate.TYPES)
                .build()) {
            AggregateRepository<Command, Event, Account> accounts = AggregateRepository.builder(
                            store, BankAccountAggregate.TYPE)
                    .snapshots(PostgresSnapshotStore.of(store))
                    .snapshotExecutor(Runnable::run) // after each commit, on this thread: the example stays simple
                    .maxAttempts(3)
                    .build();
            String id = "alice" + Long.toString(System.nanoTime(), 36);

            accounts.handle(id, new Open("Alice"));
            for (int i = 0; i < 250; i++) {
                accounts.handle(id, new Deposit(100));
            }
            out.printf("Opened account-%s and deposited 1 euro 250 times%n", id);
            try {
                accounts.handle(id, new Withdraw(1_000_000));
            } catch (InsufficientFunds refused) {
                out.printf("Refused: %s%n", refused.getMessage());
            }
            accounts.handle(id, new Withdraw(5_000));

            Aggregate<Account> loaded = accounts.load(id);
            out.printf(
                    "Loaded account-%s at version %d: owner %s, balance %d cents, from a snapshot and %d event(s)%n",
                    id, loaded.version(), loaded.state().owner(), loaded.state().balanceCents(), loaded.eventsRead());
            return new Summary(loaded.state(), loaded.version(), loaded.eventsRead());
        }
    }
}
