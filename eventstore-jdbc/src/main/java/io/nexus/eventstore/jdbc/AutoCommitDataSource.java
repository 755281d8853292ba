package io.nexus.eventstore.jdbc;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A {@link DataSource} whose connections start in autocommit, whatever the pool it wraps hands out. The store, its
 * retention job, the event bus and the projection daemon each wrap the data source they are given in one of these,
 * once, so that every write Nexus makes on its own behalf commits: appends, the global order its sequencer and its
 * reads assign, subscriptions, checkpoints, leases and dead letters. Thread-safe.
 *
 * <p>Many applications (Spring among them) configure their pool with autocommit off. On such a connection nothing
 * commits unless its borrower calls {@code commit()}, and the pool rolls back whatever is left when the connection is
 * returned; Jdbi treats a handle opened on it as already inside a transaction, so {@code inTransaction} neither begins
 * nor commits either. Switching each borrowed connection to autocommit at the one place connections are borrowed
 * covers plain JDBC calls and Jdbi alike (Jdbi transactions on it begin, commit, and restore autocommit as usual), where
 * a fix per call site would be missed by the next call site, and a Jdbi plugin would not reach the plain JDBC paths.
 * A connection that comes in autocommit already is handed on untouched, and on one that does not, pgjdbc switches
 * without a round trip (no statement has run on it yet).
 *
 * <p>The pool gets its setting back: HikariCP restores the autocommit it was configured with when a connection is
 * returned, so the application's own borrowers still get what they configured (with a pool that does not reset a
 * returned connection, they find it in autocommit). Do not give Nexus a data source that hands out a connection
 * already taking part in the caller's transaction (Spring's {@code TransactionAwareDataSourceProxy}, a JTA data
 * source): switching such a connection to autocommit commits the caller's work. Give it the pool itself.
 */
public final class AutoCommitDataSource implements DataSource {
    private final DataSource delegate;

    private AutoCommitDataSource(DataSource delegate) {
        this.delegate = delegate;
    }

    /**
     * {@code dataSource} with its connections switched to autocommit when borrowed; {@code dataSource} itself if it is
     * such a data source already. Two wraps of one data source are {@linkplain #equals equal}.
     *
     * @param dataSource the pool to wrap
     * @return a data source whose connections are in autocommit when borrowed
     */
    public static DataSource from(DataSource dataSource) {
        requireNonNull(dataSource, "dataSource");
        return dataSource instanceof AutoCommitDataSource ? dataSource : new AutoCommitDataSource(dataSource);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return inAutoCommit(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return inAutoCommit(delegate.getConnection(username, password));
    }

    private static Connection inAutoCommit(Connection connection) throws SQLException {
        try {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            return connection;
        } catch (SQLException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    /** This data source for its own type, else the wrapped one's {@code unwrap} (the pool, for its own API). */
    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return type.isInstance(this) ? type.cast(this) : delegate.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return type.isInstance(this) || type.isInstance(delegate) || delegate.isWrapperFor(type);
    }

    /** Equal to another wrap of the same data source: components sharing one pool can recognise each other. */
    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof AutoCommitDataSource wrap && wrap.delegate.equals(delegate);
    }

    @Override
    public int hashCode() {
        return delegate.hashCode();
    }

    @Override
    public String toString() {
        return "AutoCommitDataSource[" + delegate + "]";
    }
}
