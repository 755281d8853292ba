package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * Where a {@link PostgresEventStore}'s {@link HeadWatch} learns of new heads between its polls: the wake-up source
 * for every subscriber of the store in this process. Chosen on {@link PostgresEventStore.Builder#notifications}.
 *
 * <p>The store's sequencer sends {@code NOTIFY "<schema>_events"} with each new head. A LISTEN only receives it on a
 * real server session that stays its own: <b>behind PgBouncer in transaction (or statement) pooling a LISTEN is never
 * delivered</b>, because the server connection that ran it is handed to other clients after each statement. So:
 *
 * <ul>
 *   <li>{@link #listen(String)}: LISTEN on a dedicated connection opened with {@link java.sql.DriverManager} on its
 *       own JDBC URL, outside any pool. Give it the PostgreSQL server itself (or a PgBouncer pool in session mode)
 *       even when the store's pool goes through PgBouncer in transaction mode. Costs one server connection per
 *       store and process. The default of a store built from a JDBC URL, on that URL.
 *   <li>{@link #listenOnPool()}: LISTEN on a connection taken from the store's {@code DataSource} and held for as long
 *       as anything watches the head. Right for a pool of direct server connections. The default of a store on a
 *       caller's {@code DataSource}.
 *   <li>{@link #pollOnly()}: no LISTEN; the head is polled every poll interval, so subscribers see new events up to
 *       one interval late. Works through anything.
 * </ul>
 *
 * <p>Whichever LISTEN is chosen, it is checked when it starts: a {@code NOTIFY} is sent through the store's pool and
 * must come back on the listening connection within {@link #PROBE_TIMEOUT_SECONDS} seconds. If it does not (the
 * classic cause: the URL or the pool goes through PgBouncer in transaction pooling), one WARNING names the problem
 * and the setting to fix it, and the watch falls back to polling, so nothing is silently late by more than a poll
 * interval.
 */
public sealed interface HeadNotifications {
    /** How long a starting LISTEN waits for its probe notification before it falls back to polling. */
    int PROBE_TIMEOUT_SECONDS = 5;

    /**
     * LISTEN on a dedicated connection to {@code jdbcUrl}, with the user and password the URL carries (if any).
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL of the same database the store uses
     * @return the setting
     * @throws IllegalArgumentException if it is not a {@code jdbc:postgresql:} URL
     */
    static HeadNotifications listen(String jdbcUrl) {
        return new Listen(jdbcUrl, null, null);
    }

    /**
     * {@link #listen(String)} logging in as {@code user} with {@code password}.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL of the same database the store uses
     * @param user the user to log in as
     * @param password the user's password
     * @return the setting
     * @throws IllegalArgumentException if it is not a {@code jdbc:postgresql:} URL
     */
    static HeadNotifications listen(String jdbcUrl, String user, String password) {
        return new Listen(jdbcUrl, requireNonNull(user, "user"), requireNonNull(password, "password"));
    }

    /** {@return LISTEN on a connection held from the store's own {@code DataSource}} */
    static HeadNotifications listenOnPool() {
        return new ListenOnPool();
    }

    /** {@return no LISTEN: poll the head every poll interval} */
    static HeadNotifications pollOnly() {
        return new PollOnly();
    }

    /**
     * LISTEN on a dedicated connection that {@link java.sql.DriverManager} opens on {@code jdbcUrl}; {@code user} and
     * {@code password} are both given or both absent (then the URL's apply). {@link #toString()} hides the password.
     */
    record Listen(
            String jdbcUrl, @Nullable String user, @Nullable String password) implements HeadNotifications {
        /**
         * Checks the URL and that user and password come together.
         *
         * @param jdbcUrl a {@code jdbc:postgresql:} URL of the same database the store uses
         * @param user the user to log in as, or null for the URL's
         * @param password the user's password, or null for the URL's
         * @throws IllegalArgumentException if the URL is not a {@code jdbc:postgresql:} one, or only one of user and
         *     password is given
         */
        public Listen {
            requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("notifications need a jdbc:postgresql: URL, was '" + jdbcUrl + "'");
            }
            if ((user == null) != (password == null)) {
                throw new IllegalArgumentException("give both user and password for notifications, or neither");
            }
        }

        @Override
        public String toString() {
            return "Listen[jdbcUrl=" + jdbcUrl + (user == null ? "" : ", user=" + user + ", password=***") + "]";
        }
    }

    /** LISTEN on a connection held from the store's {@code DataSource}. */
    record ListenOnPool() implements HeadNotifications {}

    /** No LISTEN; the head is polled. */
    record PollOnly() implements HeadNotifications {}
}
