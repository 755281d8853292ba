package io.nexus.migrations;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The command line: {@code java -jar nexus-migrations-<version>-cli.jar migrate|info|validate --url jdbc:...}.
 * Exit code 0 on success, 1 when the action failed, 2 on a usage error.
 */
@Command(
        name = "nexus-migrate",
        mixinStandardHelpOptions = true,
        version = "nexus-migrate 0.1",
        description = "Applies (migrate), lists (info) or checks (validate) the Nexus event store schema.")
public final class MigrateCommand implements Callable<Integer> {
    enum Action {
        migrate,
        info,
        validate
    }

    @Spec
    CommandLine.Model.@Nullable CommandSpec spec;

    @Parameters(index = "0", description = "migrate, info or validate")
    Action action = Action.info;

    @Option(names = "--url", required = true, description = "JDBC URL, e.g. jdbc:postgresql://localhost:5432/app")
    String url = "";

    @Option(names = "--user", description = "database user (default: from the URL)")
    @Nullable
    String user;

    @Option(names = "--password", description = "password (default: from the URL, or $NEXUS_DB_PASSWORD)")
    @Nullable
    String password;

    @Option(names = "--schema", description = "event store schema (default: ${DEFAULT-VALUE})")
    String schema = EventStoreSchema.DEFAULT_SCHEMA;

    /**
     * Runs the command and exits the JVM with its exit code.
     *
     * @param args the action and options; {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command without exiting; for tests and embedding.
     *
     * @param args the action and options; {@code --help} lists them
     * @return the exit code: 0 on success
     */
    public static int run(String... args) {
        return new CommandLine(new MigrateCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec == null
                ? new PrintWriter(new OutputStreamWriter(System.out, Charset.defaultCharset()), true)
                : spec.commandLine().getOut();
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(url);
        if (user != null) {
            dataSource.setUser(user);
        }
        String pass = password != null ? password : System.getenv("NEXUS_DB_PASSWORD");
        if (pass != null) {
            dataSource.setPassword(pass);
        }
        switch (action) {
            case migrate -> {
                int applied = EventStoreSchema.migrate(dataSource, schema);
                out.println("schema '" + schema + "': applied " + applied + " migration(s)");
            }
            case validate -> {
                EventStoreSchema.validate(dataSource, schema);
                out.println("schema '" + schema + "': valid and up to date");
            }
            case info -> {
                List<SchemaMigration> migrations = EventStoreSchema.info(dataSource, schema);
                out.printf("%-8s %-12s %-25s %s%n", "version", "state", "installed on", "description");
                for (SchemaMigration m : migrations) {
                    out.printf("%-8s %-12s %-25s %s%n", m.version(), m.state(), m.installedOn(), m.description());
                }
            }
        }
        return 0;
    }
}
