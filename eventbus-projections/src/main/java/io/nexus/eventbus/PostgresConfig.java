package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.Secrets;
import io.nexus.eventstore.jdbc.HeadNotifications;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The {@code postgresql:} block of the configuration: the database that keeps events ({@code event_store_backend:
 * postgresql}), its schema, the pool a bus opens on it and where the bus learns of new events. {@link #toString()}
 * never shows the password (neither the field nor a {@code password=} parameter of the URL). Immutable.
 *
 * @param jdbcUrl a {@code jdbc:postgresql:} URL ({@code jdbc_url}; the older key {@code url} is accepted)
 * @param user the user, or null to take the URL's
 * @param password the password, or null to take the URL's
 * @param schema the event store schema ({@code schema}, default {@value #DEFAULT_SCHEMA})
 * @param poolSize the connections of the pool a bus opens ({@code pool_size}, default {@value #DEFAULT_POOL_SIZE})
 * @param notifications where the bus learns of new events between polls ({@code notifications}, default {@link
 *     Notifications#LISTEN})
 * @param listenUrl for {@link Notifications#LISTEN}, the URL of the dedicated listening connection ({@code
 *     listen_url}); null for {@code jdbcUrl}
 * @param autoCommit whether the connections of the pool a bus (or the {@code nexus} command) opens start in
 *     autocommit ({@code auto_commit}, default true, as HikariCP's {@code autoCommit}); Nexus works either way
 */
public record PostgresConfig(
        String jdbcUrl,
        @Nullable String user,
        @Nullable String password,
        String schema,
        int poolSize,
        Notifications notifications,
        @Nullable String listenUrl,
        boolean autoCommit) {

    /** Default {@link #schema()}. */
    public static final String DEFAULT_SCHEMA = "nexus";
    /** Default {@link #poolSize()}. */
    public static final int DEFAULT_POOL_SIZE = 10;

    /** Where a bus learns of new events between polls of the head (see {@link HeadNotifications}). */
    public enum Notifications {
        /** {@code listen}: LISTEN on a dedicated connection outside the pool (on {@code listen_url} if given). */
        LISTEN,
        /** {@code listen_on_pool}: LISTEN on a connection held from the pool (direct server connections only). */
        LISTEN_ON_POOL,
        /** {@code poll}: no LISTEN, poll every {@code flush_interval}; works through anything (PgBouncer too). */
        POLL;

        /** {@return the configuration file's spelling of this mode} */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks the settings.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @param user the user, or null to take the URL's
     * @param password the password, or null to take the URL's
     * @param schema the event store schema
     * @param poolSize the connections of the pool a bus opens, at least 2 (one is held for LISTEN on the pool)
     * @param notifications where the bus learns of new events
     * @param listenUrl the listening connection's URL for {@link Notifications#LISTEN}, or null for {@code jdbcUrl}
     * @param autoCommit whether the pool's connections start in autocommit
     * @throws IllegalArgumentException naming the key whose value is wrong
     */
    public PostgresConfig {
        requireNonNull(jdbcUrl, "jdbcUrl");
        requireNonNull(schema, "schema");
        requireNonNull(notifications, "notifications");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException(
                    "postgresql.jdbc_url must be a jdbc:postgresql: URL, was '" + Secrets.redactUrl(jdbcUrl) + "'");
        }
        if (listenUrl != null && !listenUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException(
                    "postgresql.listen_url must be a jdbc:postgresql: URL, was '" + Secrets.redactUrl(listenUrl) + "'");
        }
        if (listenUrl != null && notifications != Notifications.LISTEN) {
            throw new IllegalArgumentException("postgresql.listen_url is only used with notifications: listen, but"
                    + " notifications is " + notifications.key());
        }
        if (poolSize < 2) {
            throw new IllegalArgumentException("postgresql.pool_size must be >= 2, was " + poolSize);
        }
    }

    /**
     * A configuration of {@code jdbcUrl} with every other setting at its default.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL
     * @return the configuration
     * @throws IllegalArgumentException if it is not a {@code jdbc:postgresql:} URL
     */
    public static PostgresConfig of(String jdbcUrl) {
        return new PostgresConfig(
                jdbcUrl, null, null, DEFAULT_SCHEMA, DEFAULT_POOL_SIZE, Notifications.LISTEN, null, true);
    }

    /**
     * This configuration in another schema.
     *
     * @param schema the event store schema
     * @return the configuration
     */
    public PostgresConfig withSchema(String schema) {
        return new PostgresConfig(jdbcUrl, user, password, schema, poolSize, notifications, listenUrl, autoCommit);
    }

    /** {@return the store's {@link HeadNotifications} for {@link #notifications()}} */
    public HeadNotifications headNotifications() {
        return switch (notifications) {
            case LISTEN -> {
                String url = listenUrl != null ? listenUrl : jdbcUrl;
                yield user != null && password != null
                        ? HeadNotifications.listen(url, user, password)
                        : HeadNotifications.listen(url);
            }
            case LISTEN_ON_POOL -> HeadNotifications.listenOnPool();
            case POLL -> HeadNotifications.pollOnly();
        };
    }

    @Override
    public String toString() {
        return "PostgresConfig[jdbcUrl=" + Secrets.redactUrl(jdbcUrl) + ", user=" + user + ", password="
                + Secrets.mask(password) + ", schema=" + schema + ", poolSize=" + poolSize + ", notifications="
                + notifications.key() + ", listenUrl=" + (listenUrl == null ? null : Secrets.redactUrl(listenUrl))
                + ", autoCommit=" + autoCommit + "]";
    }
}
