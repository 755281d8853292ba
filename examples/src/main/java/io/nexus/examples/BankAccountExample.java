package io.nexus.examples;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventType;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.migrations.EventStoreSchema;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The first example: bank accounts as event streams. With no argument it starts an embedded PostgreSQL 17 (nothing
 * to install), migrates the schema, appends events for three accounts, rebuilds one account by replaying its stream,
 * and reads the global order. Give a JDBC URL ({@code --jdbc-url} or {@code NEXUS_JDBC_URL}) to use your own PostgreSQL.
 */
public final class BankAccountExample {

    @EventType("account.opened")
    public record AccountOpened(String accountId, String owner) {}

    @EventType("money.deposited")
    public record MoneyDeposited(String accountId, BigDecimal amount) {}

    @EventType("money.withdrawn")
    public record MoneyWithdrawn(String accountId, BigDecimal amount) {}

    /** An account's state: never stored, always rebuilt from its events. */
    public record Account(String id, String owner, BigDecimal balance, long version) {
        static Account empty(String id) {
            return new Account(id, "", BigDecimal.ZERO, 0);
        }

        Account apply(RecordedEvent event) {
            Object data = event.data();
            if (data instanceof AccountOpened opened) {
                return new Account(id, opened.owner(), balance, event.streamVersion());
            } else if (data instanceof MoneyDeposited deposited) {
                return new Account(id, owner, balance.add(deposited.amount()), event.streamVersion());
            } else if (data instanceof MoneyWithdrawn withdrawn) {
                return new Account(id, owner, balance.subtract(withdrawn.amount()), event.streamVersion());
            }
            throw new IllegalStateException("unexpected event " + event.type());
        }
    }

    /** What a run did, for the example's test. */
    public record Summary(Account rebuilt, long globalEvents, List<String> globalOrder) {}

    private BankAccountExample() {}

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> run(dataSource, out));
    }

    /** Runs the example on {@code dataSource} and prints what it does to {@code out}. */
    public static Summary run(DataSource dataSource, PrintStream out) {
        int applied = EventStoreSchema.migrate(dataSource, "bank");
        out.printf("Schema 'bank' migrated (%d migration(s) applied)%n", applied);

        EventTypeRegistry types = EventTypeRegistry.builder()
                .register(AccountOpened.class, MoneyDeposited.class, MoneyWithdrawn.class)
                .build();
        try (PostgresEventStore store = PostgresEventStore.builder(dataSource)
                .schema("bank")
                .types(types)
                .build()) {
            long start = store.headPosition() + 1;
            String run = Long.toString(System.nanoTime(), 36);
            StreamId alice = StreamId.of("account", "alice-" + run);
            store.append(
                    alice,
                    ExpectedVersion.noStream(),
                    List.of(
                            NewEvent.of(new AccountOpened(alice.value(), "Alice")),
                            NewEvent.of(new MoneyDeposited(alice.value(), new BigDecimal("100.00")))));
            store.append(
                    alice,
                    ExpectedVersion.exactly(2),
                    List.of(NewEvent.of(new MoneyWithdrawn(alice.value(), new BigDecimal("30.00")))));
            for (String name : List.of("bob", "carol")) {
                StreamId account = StreamId.of("account", name + "-" + run);
                store.append(
                        account,
                        ExpectedVersion.noStream(),
                        List.of(
                                NewEvent.of(new AccountOpened(account.value(), name)),
                                NewEvent.of(new MoneyDeposited(account.value(), new BigDecimal("10.00")))));
            }
            out.printf("Appended 7 events to 3 account streams%n");

            Account rebuilt = Account.empty(alice.value());
            for (RecordedEvent event : store.streamEvents(alice, 1)) { // the whole stream, read a page at a time
                rebuilt = rebuilt.apply(event);
            }
            out.printf(
                    "Rebuilt %s from its stream: owner %s, balance %s, version %d%n",
                    alice, rebuilt.owner(), rebuilt.balance(), rebuilt.version());

            out.printf("The global order from position %d:%n", start);
            List<String> globalOrder = new ArrayList<>();
            for (RecordedEvent event : store.allEvents(start, EventFilter.ALL)) { // up to the head, page by page
                out.printf(
                        "  %4d  %-28s v%d  %s%n",
                        event.position(), event.streamId(), event.streamVersion(), event.type());
                globalOrder.add(event.streamId() + "@" + event.streamVersion());
            }
            return new Summary(rebuilt, globalOrder.size(), List.copyOf(globalOrder));
        }
    }
}
