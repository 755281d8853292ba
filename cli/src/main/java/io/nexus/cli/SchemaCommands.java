package io.nexus.cli;

import io.nexus.migrations.EventStoreSchema;
import io.nexus.migrations.SchemaMigration;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code migrate}, {@code info} and {@code validate}: the schema, as {@code EventStoreSchema} applies it. */
final class SchemaCommands {
    private SchemaCommands() {}

    @Command(name = "migrate", description = "Creates or upgrades the event store schema (needs the owner's role).")
    static final class Migrate extends DatabaseCommand {
        @Override
        int run(Database.Session session) {
            int applied = EventStoreSchema.migrate(session.dataSource(), session.schema());
            out().println("schema '" + session.schema() + "': applied " + applied + " migration(s)");
            // Said where the operator looks at deployment: a setup under which the store slows down as it grows.
            for (String warning : session.store().setupWarnings()) {
                err().println("warning: " + warning);
            }
            return 0;
        }
    }

    @Command(name = "info", description = "Lists the schema's migrations and their state.")
    static final class Info extends DatabaseCommand {
        @Override
        int run(Database.Session session) {
            PrintWriter out = out();
            out.printf("%-8s %-12s %-25s %s%n", "version", "state", "installed on", "description");
            for (SchemaMigration m : EventStoreSchema.info(session.dataSource(), session.schema())) {
                out.printf("%-8s %-12s %-25s %s%n", m.version(), m.state(), m.installedOn(), m.description());
            }
            return 0;
        }
    }

    @Command(name = "validate", description = "Checks that the schema is fully migrated and unchanged.")
    static final class Validate extends DatabaseCommand {
        @Override
        int run(Database.Session session) {
            EventStoreSchema.validate(session.dataSource(), session.schema());
            out().println("schema '" + session.schema() + "': valid and up to date");
            return 0;
        }
    }
}
