package io.nexus.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;

/**
 * A real PgBouncer in front of a test database, in <b>transaction pooling</b>: the setup where a LISTEN on a pooled
 * connection is never delivered and a session is never the client's own. Each instance is its own {@code pgbouncer}
 * process on a free loopback port, with its ini and user list in a temporary directory; {@link #close()} stops it.
 *
 * <p>Where {@code pgbouncer} is not installed, {@link #start(TestDatabase, int)} follows {@link MissingService}: it fails
 * the test under CI ({@code .ci/run} installs the Debian package) and otherwise skips it with the reason.
 */
public final class PgBouncer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Process process;
    private final Path directory;
    private final String jdbcUrl;

    private PgBouncer(Process process, Path directory, String jdbcUrl) {
        this.process = process;
        this.directory = directory;
        this.jdbcUrl = jdbcUrl;
    }

    /**
     * Starts a PgBouncer in transaction pooling in front of {@code database}'s server, with at most {@code
     * serverConnections} server connections per database and user.
     *
     * @param database the test database to put the bouncer in front of
     * @param serverConnections the most server connections per database and user; at least 1
     * @return the running bouncer; close it to stop it
     * @throws IllegalArgumentException if {@code serverConnections} is below 1
     * @throws UncheckedIOException if pgbouncer cannot be configured or started
     */
    public static PgBouncer start(TestDatabase database, int serverConnections) {
        if (serverConnections < 1) {
            throw new IllegalArgumentException("serverConnections must be >= 1, was " + serverConnections);
        }
        Path binary = binary();
        URI server = URI.create(database.jdbcUrl().substring("jdbc:".length()));
        String query = Optional.ofNullable(server.getRawQuery()).orElse("");
        String user = parameter(query, "user").orElse(System.getProperty("user.name"));
        String password = parameter(query, "password").orElse("");
        int port = freePort();
        try {
            Path directory = Files.createTempDirectory("nexus-pgbouncer-");
            // pgbouncer drops root to the postgres user, who must still read its files.
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path ini = directory.resolve("pgbouncer.ini");
            Path users = directory.resolve("userlist.txt");
            Files.writeString(users, quote(user) + " " + quote(password) + "\n", StandardCharsets.UTF_8);
            Files.writeString(
                    ini,
                    """
                    [databases]
                    * = host=%s port=%d
                    [pgbouncer]
                    listen_addr = 127.0.0.1
                    listen_port = %d
                    unix_socket_dir =
                    auth_type = trust
                    auth_file = %s
                    pool_mode = transaction
                    default_pool_size = %d
                    max_client_conn = 500
                    ignore_startup_parameters = extra_float_digits,options
                    """.formatted(
                                    server.getHost(),
                                    server.getPort() < 0 ? 5432 : server.getPort(),
                                    port,
                                    users,
                                    serverConnections),
                    StandardCharsets.UTF_8);
            for (Path file : List.of(ini, users)) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            }
            List<String> command = new ArrayList<>(List.of(binary.toString()));
            if ("root".equals(System.getProperty("user.name"))) {
                command.addAll(List.of("-u", "postgres")); // pgbouncer refuses to run as root
            }
            command.add(ini.toString());
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("pgbouncer.log").toFile())
                    .start();
            String url = "jdbc:postgresql://127.0.0.1:" + port + server.getRawPath() + "?" + query
                    + (query.isEmpty() ? "" : "&") + "prepareThreshold=0";
            PgBouncer bouncer = new PgBouncer(process, directory, url);
            bouncer.awaitListening(port);
            return bouncer;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start pgbouncer", e);
        }
    }

    /**
     * {@return the JDBC URL of the test database through this PgBouncer, with {@code prepareThreshold=0} (server-side
     * prepared statements do not survive transaction pooling)}
     */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /**
     * A HikariCP pool of {@code size} connections through this PgBouncer; the caller closes it.
     *
     * @param size the pool's maximum size
     * @return the pool
     */
    public HikariDataSource pool(int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(size);
        config.setPoolName("pgbouncer-test");
        return new HikariDataSource(config);
    }

    /** {@return what pgbouncer has logged so far} */
    public String log() {
        try {
            return Files.readString(directory.resolve("pgbouncer.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops pgbouncer and removes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }

    private void awaitListening(int port) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                close();
                Assertions.fail("pgbouncer exited with " + process.exitValue() + " at start:\n" + log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        String log = log();
        close();
        Assertions.fail("pgbouncer did not listen on 127.0.0.1:" + port + " within " + START_TIMEOUT + ":\n" + log);
    }

    private static Path binary() {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "pgbouncer"));
            }
        }
        candidates.add(Path.of("/usr/sbin/pgbouncer")); // Debian's package puts it outside a non-root PATH
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String reason = "the pgbouncer binary is not installed (looked on PATH and in /usr/sbin); install it with"
                + " 'apt-get install -y pgbouncer' (.ci/run does)";
        return MissingService.skipOrFail(reason);
    }

    private static Optional<String> parameter(String query, String name) {
        for (String pair : query.split("&", -1)) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).equals(name)) {
                return Optional.of(URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    private static String quote(String value) {
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for pgbouncer", e);
        }
    }
}
