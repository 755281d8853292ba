package io.nexus.examples;

import io.nexus.eventbus.EventHandler;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.Projection;
import io.nexus.eventbus.ProjectionDaemon;
import io.nexus.eventstore.core.AppendResult;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The design's user registration: the controller appends {@code user.registered} to the user's stream, a welcome
 * handler greets the user once the event committed, and a JDBC projection keeps a {@code users} read model (row and
 * checkpoint in one transaction). Run: {@code mvn -B -q -pl examples -am package exec:java -DskipTests
 * -Dexec.mainClass=io.nexus.examples.UserRegistrationExample}.
 */
public final class UserRegistrationExample {
    private UserRegistrationExample() {}

    @EventType("user.registered")
    public record UserRegistered(String userId, String username, String email, String registrationSource) {}

    /** The design's {@code NotificationService}: fire and forget, after commit. */
    static final class NotificationService {
        final List<String> sent = new CopyOnWriteArrayList<>();

        @EventHandler("user.registered")
        void sendWelcomeEmail(RecordedEvent event) {
            UserRegistered user = event.dataAs(UserRegistered.class);
            sent.add("welcome email to " + user.email());
        }
    }

    /** The read model: one row per user, by source. */
    static final class Users implements Projection {
        @Override
        public String name() {
            return "users";
        }

        @Override
        public EventFilter filter() {
            return EventFilter.categories("user");
        }

        @Override
        public void apply(Handle handle, RecordedEvent event) {
            UserRegistered user = event.dataAs(UserRegistered.class);
            handle.createUpdate(
                            "INSERT INTO registration.users (user_id, username, email, source) VALUES (:id, :name, :email, :src)"
                                    + " ON CONFLICT (user_id) DO NOTHING")
                    .bind("id", user.userId())
                    .bind("name", user.username())
                    .bind("email", user.email())
                    .bind("src", user.registrationSource())
                    .execute();
        }

        @Override
        public void reset(Handle handle) {
            handle.execute("DELETE FROM registration.users");
        }
    }

    /** What a run produced: the welcome emails and the read model's rows ({@code username source}). */
    public record Result(List<String> welcomes, List<String> users) {}

    public static void main(String[] args) throws Exception {
        ExampleDatabase.main(args, (dataSource, url, rest, out) -> run(dataSource, out));
    }

    /** The design's {@code UserController.register_user}: the user's stream starts with its registration. */
    private static AppendResult register(PostgresEventStore store, String name, String run) {
        String userId = name + "-" + run;
        return store.append(
                StreamId.of("user", userId),
                ExpectedVersion.noStream(),
                List.of(NewEvent.of(new UserRegistered(userId, name, name + "@example.com", "web"))));
    }

    /** Registers two users and returns the welcomes sent and the read model. */
    public static Result run(DataSource dataSource, PrintStream out) throws Exception {
        EventStoreSchema.migrate(dataSource, "registration");
        Jdbi jdbi = Jdbi.create(dataSource);
        jdbi.useHandle(handle -> handle.execute("CREATE TABLE IF NOT EXISTS registration.users (user_id text PRIMARY"
                + " KEY, username text NOT NULL, email text NOT NULL, source text NOT NULL)"));
        NotificationService notifications = new NotificationService();
        String run = Long.toString(System.nanoTime(), 36);
        try (PostgresEventStore store = PostgresEventStore.builder(dataSource)
                        .schema("registration")
                        .types(EventTypeRegistry.builder()
                                .register(UserRegistered.class)
                                .build())
                        .build();
                PostgresEventBus bus =
                        PostgresEventBus.builder(store, dataSource).build();
                ProjectionDaemon daemon = ProjectionDaemon.builder(store, dataSource)
                        .register(new Users())
                        .build()
                        .start()) {
            bus.register(notifications);
            register(store, "ada", run);
            AppendResult last = register(store, "grace", run);
            daemon.awaitProjection("users", last, Duration.ofSeconds(30));
            TypedEventsExample.awaitSize(notifications.sent, 2);
        }
        List<String> users = jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT username || ' ' || source FROM registration.users WHERE user_id LIKE :run ORDER BY"
                                + " username")
                .bind("run", "%-" + run)
                .mapTo(String.class)
                .list());
        notifications.sent.forEach(line -> out.println("  " + line));
        users.forEach(line -> out.println("  read model: " + line));
        return new Result(List.copyOf(notifications.sent), users);
    }
}
