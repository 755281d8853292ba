package io.nexus.testing;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The database of one test class: a pooled {@link DataSource} for the tests, plus what they need to reach the
 * server in other ways (a JDBC URL for a child JVM, admin statements for fault injection).
 *
 * @param name the database name
 * @param jdbcUrl its JDBC URL, credentials included
 * @param schema the migrated event store schema
 * @param dataSource a pool on it, closed after the class; its connections start in autocommit unless the class is
 *     {@link AutoCommitOff}
 */
public record TestDatabase(String name, String jdbcUrl, String schema, HikariDataSource dataSource) {

    /**
     * Terminates every other connection to this database, as a crash or a failover would.
     *
     * @return how many connections were terminated
     */
    public int terminateConnections() {
        return TestDatabaseServer.get().terminateConnections(name);
    }

    /**
     * A database of its own on the tests' server, for a test whose framework needs the URL before any extension runs
     * (Spring's {@code @DynamicPropertySource}); dropped when the JVM ends.
     *
     * @param autoCommit whether its pool's connections start in autocommit
     * @return the database, its schema migrated
     */
    public static TestDatabase create(boolean autoCommit) {
        return TestDatabaseServer.get().createDatabase(autoCommit);
    }

    /** {@return whether the pool's connections start in autocommit; false for an {@link AutoCommitOff} class} */
    public boolean autoCommit() {
        return dataSource.isAutoCommit();
    }

    /**
     * Runs one SQL statement on a connection of its own, and commits it whatever the pool's autocommit.
     *
     * @param sql the statement
     * @throws IllegalStateException quoting the statement if it fails
     */
    public void execute(String sql) {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not run: " + sql, e);
        }
    }

    /**
     * {@return a new database on the same server (for cross-database tests), its pool in the same autocommit mode as
     * this one's; dropped with the JVM}
     */
    public TestDatabase sibling() {
        return TestDatabaseServer.get().createDatabase(autoCommit());
    }
}
