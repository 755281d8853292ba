package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.SubscriptionRows;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.jdbc.AutoCommitDataSource;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * Operates durable subscriptions and projections from outside the processes that run them (the {@code nexus}
 * command): lists them with their lag and owner, pauses, resumes, resets and rebuilds them, and lists, discards or
 * asks the owner to re-deliver dead letters. Every action is a change of the row in {@code subscriptions}; the owner
 * (whichever process holds the lease) reads it when it renews its lease, or sooner: a paused row refuses the owner's
 * next checkpoint (and a durable subscription's owner looks at its row every flush interval), so a running worker
 * stops after the batch in flight, and a reset or rebuild makes the owner replay the global order from the start.
 *
 * <p>A reset or rebuild from here moves the checkpoint only: it cannot clear a projection's read model, which only the
 * application's code knows ({@link ProjectionDaemon#rebuild(String)} does both). Use it for projections whose apply is
 * idempotent (upserts), or clear the read model first.
 *
 * <p>The head of the global order comes from the store; a row's lag is the head minus its checkpoint.
 *
 * <p>Thread-safe. Database failures throw {@link EventStoreAccessException}.
 */
public final class SubscriptionAdmin {
    private final PostgresEventStore store;
    private final Jdbi jdbi;
    private final SubscriptionRows rows;
    private final DeadLetters deadLetters;

    private SubscriptionAdmin(PostgresEventStore store, DataSource dataSource) {
        this.store = store;
        this.jdbi = Jdbi.create(AutoCommitDataSource.from(dataSource));
        this.rows = new SubscriptionRows(store.schema());
        this.deadLetters = new DeadLetters(jdbi, rows, name -> Optional.empty());
    }

    /**
     * An admin of the subscriptions of {@code store}.
     *
     * @param store the store whose subscribers are operated (it gives the schema and the head)
     * @param dataSource a pool on the store's database
     * @return the admin
     */
    public static SubscriptionAdmin create(PostgresEventStore store, DataSource dataSource) {
        return new SubscriptionAdmin(requireNonNull(store, "store"), requireNonNull(dataSource, "dataSource"));
    }

    /**
     * Every row of {@code kind}, by name, with the head of the global order read in the same transaction.
     *
     * @param kind durable subscriptions or projections
     * @return their status, lag and owner
     */
    public List<SubscriptionStatus> list(SubscriptionStatus.Kind kind) {
        requireNonNull(kind, "kind");
        return list(kind, store.headPosition());
    }

    /**
     * Every row of {@code kind}, by name, their lag counted against {@code head}: for a reader that must not run the
     * sequencer (a health check, with the head of {@link PostgresEventStore#sequencerStatus()}), which {@link
     * #list(SubscriptionStatus.Kind)} does to read the head.
     *
     * @param kind durable subscriptions or projections
     * @param head the head of the global order to count the lag against
     * @return their status, lag and owner
     */
    public List<SubscriptionStatus> list(SubscriptionStatus.Kind kind, long head) {
        requireNonNull(kind, "kind");
        return DeadLetters.run(
                "list the " + plural(kind),
                () -> jdbi.inTransaction(handle -> {
                    return rows.names(handle, kind).stream()
                            .map(name -> rows.read(handle, name).orElseThrow().toStatus(head))
                            .toList();
                }));
    }

    /**
     * The status of the row named {@code name} of {@code kind}.
     *
     * @param kind durable subscriptions or projections
     * @param name its name
     * @return its status, or empty when there is no such row
     */
    public Optional<SubscriptionStatus> status(SubscriptionStatus.Kind kind, String name) {
        requireNonNull(name, "name");
        long head = store.headPosition();
        return DeadLetters.run(
                "read '" + name + "'",
                () -> jdbi.inTransaction(handle -> {
                    return rows.read(handle, name)
                            .filter(row -> row.kind() == kind)
                            .map(row -> row.toStatus(head));
                }));
    }

    /**
     * Pauses {@code name}: its owner stops after the batch in flight (whose checkpoint is refused, so a projection's
     * read-model change of that batch rolls back) and keeps its checkpoint.
     *
     * @param kind durable subscriptions or projections
     * @param name its name
     * @return whether there was such a row
     */
    public boolean pause(SubscriptionStatus.Kind kind, String name) {
        return setStatus(kind, name, ProjectionStatus.PAUSED);
    }

    /**
     * Resumes a paused {@code name} from its checkpoint.
     *
     * @param kind durable subscriptions or projections
     * @param name its name
     * @return whether there was such a row
     */
    public boolean resume(SubscriptionStatus.Kind kind, String name) {
        return setStatus(kind, name, ProjectionStatus.ACTIVE);
    }

    /**
     * Moves the checkpoint of {@code name} to 0 with {@code status} (active for a reset, rebuilding for a rebuild,
     * which the owner sets back to active once it has caught up); the last error is cleared.
     *
     * @param kind durable subscriptions or projections
     * @param name its name
     * @param status {@link ProjectionStatus#ACTIVE} or {@link ProjectionStatus#REBUILDING}
     * @return whether there was such a row
     * @throws IllegalArgumentException if {@code status} is {@link ProjectionStatus#PAUSED}
     */
    public boolean reset(SubscriptionStatus.Kind kind, String name, ProjectionStatus status) {
        requireNonNull(name, "name");
        if (status == ProjectionStatus.PAUSED) {
            throw new IllegalArgumentException("a reset leaves the row active or rebuilding, not paused");
        }
        return DeadLetters.run(
                "reset '" + name + "'",
                () -> jdbi.inTransaction(handle -> {
                    if (rows.lock(handle, name)
                            .filter(row -> row.kind() == kind)
                            .isEmpty()) {
                        return false;
                    }
                    rows.reset(handle, name, status.sqlValue());
                    return true;
                }));
    }

    /**
     * The dead letters, to list, discard and ask a re-delivery of ({@link DeadLetters#requestRetry}: the process that
     * owns the subscription runs it; {@link DeadLetters#retry}, which waits for it in this process, fails here with
     * {@link IllegalStateException}).
     *
     * @return the dead letters of this store's subscriptions
     */
    public DeadLetters deadLetters() {
        return deadLetters;
    }

    private boolean setStatus(SubscriptionStatus.Kind kind, String name, ProjectionStatus status) {
        requireNonNull(name, "name");
        return DeadLetters.run(
                "set '" + name + "' " + status.sqlValue(),
                () -> jdbi.inTransaction(handle -> rows.setStatus(handle, name, kind, status.sqlValue())));
    }

    private static String plural(SubscriptionStatus.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT) + "s";
    }
}
