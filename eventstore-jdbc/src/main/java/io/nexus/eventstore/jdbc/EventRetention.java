package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.SchemaName;
import io.nexus.eventstore.jdbc.internal.SqlErrors;
import java.time.Duration;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;

/**
 * The one sanctioned way events leave the store: removal by age. Streams keep their versions (a stream whose first
 * events were removed reads from its oldest remaining version) and the global order keeps its positions.
 *
 * <p>The database refuses DELETE of events unless the deleting transaction sets {@code nexus.allow_event_removal};
 * this class is the only code that sets it. Give it a data source whose role owns the schema: the runtime role has no
 * DELETE right on events at all. Thread-safe.
 */
public final class EventRetention {
    private final Jdbi jdbi;
    private final String schema;

    private EventRetention(DataSource dataSource, String schema) {
        this.jdbi = Jdbi.create(AutoCommitDataSource.from(dataSource)); // so its transaction commits on any pool
        this.schema = schema;
    }

    /**
     * Makes the retention job for the store in {@code schema}, run with {@code ownerDataSource}'s role.
     *
     * @param ownerDataSource a pool whose role owns the schema (the runtime role may not delete events)
     * @param schema the event store schema
     * @return the job
     * @throws IllegalArgumentException if the schema name is not valid
     */
    public static EventRetention create(DataSource ownerDataSource, String schema) {
        requireNonNull(ownerDataSource, "ownerDataSource");
        return new EventRetention(ownerDataSource, SchemaName.of(schema).value());
    }

    /**
     * Removes every event recorded more than {@code maxAge} ago (by the database's clock), in one transaction.
     *
     * @param maxAge the age beyond which events go; positive
     * @return how many events were removed
     */
    public int removeOlderThan(Duration maxAge) {
        requireNonNull(maxAge, "maxAge");
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maxAge must be positive, was " + maxAge);
        }
        try {
            return jdbi.inTransaction(handle -> {
                handle.execute("SET LOCAL nexus.allow_event_removal = 'on'");
                return handle.createUpdate("DELETE FROM " + schema + ".events"
                                + " WHERE recorded_at < now() - make_interval(secs => :seconds)")
                        .bind("seconds", (double) maxAge.toMillis() / 1000)
                        .execute();
            });
        } catch (JdbiException e) {
            throw SqlErrors.translate("could not remove events older than " + maxAge, e);
        }
    }
}
