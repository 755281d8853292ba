package io.nexus.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.PostgresConfig;
import io.nexus.eventstore.core.SchemaName;
import io.nexus.eventstore.jdbc.HeadNotifications;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options every command shares: which database (a configuration file's {@code postgresql:} block, or a JDBC
 * URL, which wins) and {@code --verbose}. Opens a small pool that the command closes when it ends.
 */
final class Database {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    @Nullable
    CommandSpec spec;

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "configuration file (YAML) whose events.postgresql block names the database")
    @Nullable
    Path config;

    @Option(names = "--jdbc-url", paramLabel = "URL", description = "JDBC URL of the database (wins over --config)")
    @Nullable
    String jdbcUrl;

    @Option(names = "--user", description = "database user (default: from the configuration or the URL)")
    @Nullable
    String user;

    @Option(
            names = "--password",
            description = "password (default: from the configuration, the URL or $NEXUS_DB_PASSWORD)",
            arity = "0..1",
            interactive = true)
    char @Nullable [] password;

    @Option(names = "--schema", description = "event store schema (default: from the configuration, else nexus)")
    @Nullable
    String schema;

    @Option(
            names = {"-v", "--verbose"},
            description = "print the stack trace of an error")
    boolean verbose;

    /** The database to use, from the options and the configuration file. */
    Target target() {
        PostgresConfig fromFile = null;
        if (config != null) {
            fromFile = NexusConfig.fromYaml(config).postgres();
            if (fromFile == null && jdbcUrl == null) {
                throw new IllegalArgumentException("configuration file " + config
                        + " has no events.postgresql block; add one with jdbc_url, or give --jdbc-url");
            }
        }
        String url = jdbcUrl != null ? jdbcUrl : fromFile != null ? fromFile.jdbcUrl() : null;
        if (url == null) {
            throw new CommandLine.ParameterException(
                    requireSpec().commandLine(),
                    "give the database: --jdbc-url jdbc:postgresql://... or --config FILE");
        }
        String chosenSchema =
                schema != null ? schema : fromFile != null ? fromFile.schema() : PostgresConfig.DEFAULT_SCHEMA;
        SchemaName.of(chosenSchema); // refuses a bad name before connecting, quoting it
        String chosenUser = user != null ? user : fromFile != null ? fromFile.user() : null;
        String chosenPassword = password != null
                ? new String(password)
                : fromFile != null && fromFile.password() != null
                        ? fromFile.password()
                        : System.getenv("NEXUS_DB_PASSWORD");
        boolean autoCommit = fromFile == null || fromFile.autoCommit();
        return new Target(url, chosenUser, chosenPassword, chosenSchema, autoCommit);
    }

    /** Opens a pool of a few connections on the target database. */
    Session open() {
        return new Session(target());
    }

    private CommandSpec requireSpec() {
        if (spec == null) {
            throw new IllegalStateException("picocli injects the spec");
        }
        return spec;
    }

    /**
     * Where to connect, and whether the pool's connections start in autocommit ({@code postgresql.auto_commit}; every
     * command works either way); {@link #toString()} hides the password.
     */
    record Target(
            String jdbcUrl, @Nullable String user, @Nullable String password, String schema, boolean autoCommit) {
        @Override
        public String toString() {
            return "Target[jdbcUrl=" + jdbcUrl.replaceAll("(?i)password=[^&;]*", "password=***") + ", user=" + user
                    + ", schema=" + schema + ", autoCommit=" + autoCommit + "]";
        }
    }

    /** A pool and, when asked, the store on it; closes both. */
    static final class Session implements AutoCloseable {
        private final Target target;
        private final HikariDataSource pool;
        private @Nullable PostgresEventStore store;

        Session(Target target) {
            this.target = target;
            HikariConfig hikari = new HikariConfig();
            hikari.setJdbcUrl(target.jdbcUrl());
            if (target.user() != null) {
                hikari.setUsername(target.user());
            }
            if (target.password() != null) {
                hikari.setPassword(target.password());
            }
            hikari.setMaximumPoolSize(3);
            hikari.setAutoCommit(target.autoCommit());
            hikari.setPoolName("nexus-cli");
            hikari.addDataSourceProperty("ApplicationName", "nexus-cli");
            // no connection at start: the first statement fails with the store's typed error naming host and port
            hikari.setInitializationFailTimeout(-1);
            hikari.setConnectionTimeout(PostgresEventStore.DEFAULT_CONNECT_TIMEOUT.toMillis());
            String seconds = Long.toString(PostgresEventStore.DEFAULT_CONNECT_TIMEOUT.toSeconds());
            hikari.addDataSourceProperty("connectTimeout", seconds);
            this.pool = new HikariDataSource(hikari);
        }

        String schema() {
            return target.schema();
        }

        HikariDataSource dataSource() {
            return pool;
        }

        /** The store, built on first use; it polls the head (a command runs briefly, so no LISTEN connection). */
        PostgresEventStore store() {
            if (store == null) {
                store = PostgresEventStore.builder(pool)
                        .schema(target.schema())
                        .notifications(HeadNotifications.pollOnly())
                        .build();
            }
            return store;
        }

        @Override
        public void close() {
            if (store != null) {
                store.close();
            }
            pool.close();
        }
    }
}
