package io.nexus.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;

/** A command on the database: the shared options, and output through picocli's writers (tests capture them). */
abstract class DatabaseCommand implements Callable<Integer> {
    @Mixin
    Database database = new Database();

    @CommandLine.Spec
    @Nullable
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        try (Database.Session session = database.open()) {
            return run(session);
        }
    }

    /** Runs the command; returns its exit code. */
    abstract int run(Database.Session session) throws Exception;

    PrintWriter out() {
        return commandLine().getOut();
    }

    PrintWriter err() {
        return commandLine().getErr();
    }

    CommandLine commandLine() {
        if (spec == null) {
            throw new IllegalStateException("picocli injects the spec");
        }
        return spec.commandLine();
    }

    /** A usage error (exit code 2) of this command. */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(commandLine(), message);
    }
}
