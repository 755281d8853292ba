package io.nexus.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code nexus} command: {@code java -jar nexus.jar <command> [--config nexus.yaml | --jdbc-url jdbc:...]}.
 * {@code nexus --help} lists the commands, {@code nexus <command> --help} their options. Exit code 0 on success, 1
 * when the command failed (one line on standard error; {@code --verbose} adds the stack trace), 2 on a usage error.
 */
@Command(
        name = "nexus",
        mixinStandardHelpOptions = true,
        version = "nexus 0.1.0",
        description = "Operates a Nexus event store on PostgreSQL.",
        subcommands = {
            SchemaCommands.Migrate.class,
            SchemaCommands.Info.class,
            SchemaCommands.Validate.class,
            EventCommands.Append.class,
            EventCommands.Read.class,
            EventCommands.Tail.class,
            EventCommands.Replay.class,
            SubscriberCommands.Subscriptions.class,
            SubscriberCommands.Projections.class,
            SubscriberCommands.DeadLetters.class,
            SagaCommand.class,
            CleanupCommand.class,
            StatsCommand.class
        })
public final class Nexus implements Runnable {
    /** Exit code of a command that failed. */
    public static final int FAILURE = 1;
    /** Exit code of a usage error (unknown command or option, missing argument). */
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.@org.jspecify.annotations.Nullable CommandSpec spec;

    private Nexus() {}

    /**
     * Runs the command and exits the JVM with its exit code.
     *
     * @param args the command and its options; {@code --help} lists them
     */
    public static void main(String[] args) {
        Charset charset = Charset.defaultCharset();
        int code = run(
                new PrintWriter(new OutputStreamWriter(System.out, charset), true),
                new PrintWriter(new OutputStreamWriter(System.err, charset), true),
                args);
        System.exit(code);
    }

    /**
     * Runs the command without exiting; for tests and embedding.
     *
     * @param out where the command's output goes
     * @param err where errors and progress go
     * @param args the command and its options
     * @return the exit code: 0 on success, 1 on failure, 2 on a usage error
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        boolean verbose = List.of(args).contains("--verbose") || List.of(args).contains("-v");
        CommandLine commandLine = new CommandLine(new Nexus())
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, command, parseResult) -> {
                    if (e instanceof CommandLine.ParameterException usage) {
                        // a usage error found while running (a missing name, no database given): exit code 2
                        err.println("nexus " + command.getCommandName() + ": " + oneLine(usage));
                        err.println("(nexus " + command.getCommandName() + " --help shows the usage)");
                        err.flush();
                        return USAGE;
                    }
                    err.println("nexus " + command.getCommandName() + ": " + oneLine(e));
                    if (verbose) {
                        e.printStackTrace(err);
                    }
                    err.flush();
                    return FAILURE;
                });
        commandLine.getCommandSpec().exitCodeOnInvalidInput(USAGE);
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The error as one readable line: its message, or its type when it has none; causes only with --verbose. */
    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @Override
    public void run() {
        if (spec != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give a command; nexus --help lists them");
        }
    }
}
