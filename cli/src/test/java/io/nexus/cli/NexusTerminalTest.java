package io.nexus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the command in a real terminal (a detached tmux session, 120x20) and checks what a user sees: the progress bar
 * is drawn in place on one line, redrawn as the replay advances, and left finished (100 %, then a newline) before the
 * result line. The command runs as its own JVM on this module's classpath, as {@code java -jar nexus.jar} runs it.
 */
@PostgresTest
@Timeout(120)
class NexusTerminalTest {
    private final TestDatabase database;

    @TempDir
    Path dir;

    NexusTerminalTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void the_progress_bar_renders_in_place_in_a_terminal_and_ends_cleanly() throws Exception {
        StreamId stream = StreamId.of("terminal-" + UUID.randomUUID().toString().substring(0, 8));
        try (PostgresEventStore store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build()) {
            for (int batch = 0; batch < 20; batch++) {
                store.append(
                        stream,
                        ExpectedVersion.any(),
                        IntStream.range(0, 1_000)
                                .mapToObj(i -> NewEvent.of("terminal.tick", "{\"i\":" + i + "}"))
                                .toList());
            }
        }
        Path output = dir.resolve("replay.json");
        Path raw = dir.resolve("raw.txt");
        Path script = dir.resolve("run.sh");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(
                script,
                String.join(
                        " ",
                        "'" + java + "'",
                        "-cp",
                        "'" + System.getProperty("java.class.path") + "'",
                        "io.nexus.cli.Nexus replay",
                        stream.value(),
                        "--output",
                        "'" + output + "'",
                        "--jdbc-url",
                        "'" + database.jdbcUrl() + "'",
                        "--schema",
                        database.schema(),
                        "; echo \"exit=$?\"; sleep 30\n"));
        String session = "nexus-test-" + UUID.randomUUID().toString().substring(0, 8);
        tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "20", "sh");
        try {
            tmux("pipe-pane", "-t", session, "-o", "cat >> '" + raw + "'");
            tmux("send-keys", "-t", session, "env -u NEXUS_PROGRESS sh '" + script + "'", "Enter");
            String screen = awaitScreen(session, "exit=");

            List<String> barLines = screen.lines()
                    .filter(line -> line.contains("replay " + stream.value() + " ["))
                    .toList();
            assertThat(barLines).hasSize(1);
            assertThat(barLines.get(0))
                    .contains("[" + "#".repeat(30) + "] 100% 20,000/20,000")
                    .contains("/s")
                    .contains("ETA 0s");
            assertThat(screen)
                    .contains("replayed 20000 event(s) of '" + stream.value() + "'")
                    .contains("exit=0");
            String bytes = Files.readString(raw, StandardCharsets.UTF_8);
            assertThat(bytes.split("\r\u001b\\[2K", -1).length - 1)
                    .as("the bar is redrawn in place more than once")
                    .isGreaterThan(1);
            int finished = bytes.indexOf("100% 20,000/20,000");
            int result = bytes.indexOf("replayed 20000");
            assertThat(finished).isPositive().isLessThan(result);
            assertThat(bytes.substring(finished, result)).contains("\n");
        } finally {
            tmux("kill-session", "-t", session);
        }
    }

    @Test
    void cleanup_draws_its_bar_in_place_and_prints_the_report_after_it() throws Exception {
        TestDatabase own = database.sibling(); // its events are the oldest of the global order, as aged events are
        try (PostgresEventStore store = PostgresEventStore.builder(own.dataSource())
                .schema(own.schema())
                .build()) {
            for (int append = 0; append < 40; append++) {
                store.append(
                        StreamId.of("aged-1"),
                        ExpectedVersion.any(),
                        IntStream.range(0, 50)
                                .mapToObj(i -> NewEvent.of("aged.tick", "{}"))
                                .toList());
            }
            // Aged once ordered: the sequencer gives positions (and sequenced_at) after the appends commit.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (store.readAll(1, 3_000).size() < 2_000 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        String schema = own.schema();
        own.execute("ALTER TABLE " + schema + ".events DISABLE TRIGGER events_append_only_trg");
        own.execute("UPDATE " + schema + ".events SET recorded_at = now() - interval '40 days'");
        own.execute("ALTER TABLE " + schema + ".events ENABLE TRIGGER events_append_only_trg");
        own.execute("UPDATE " + schema + ".commits SET sequenced_at = now() - interval '40 days'");
        Path raw = dir.resolve("cleanup.txt");
        Path script = dir.resolve("cleanup.sh");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(
                script,
                String.join(
                        " ",
                        "'" + java + "'",
                        "-cp",
                        "'" + System.getProperty("java.class.path") + "'",
                        "io.nexus.cli.Nexus cleanup --older-than-days 30 --batch-size 50",
                        "--jdbc-url",
                        "'" + own.jdbcUrl() + "'",
                        "--schema",
                        schema,
                        "; echo \"exit=$?\"; sleep 30\n"));
        String session = "nexus-test-" + UUID.randomUUID().toString().substring(0, 8);
        tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "20", "sh");
        try {
            tmux("pipe-pane", "-t", session, "-o", "cat >> '" + raw + "'");
            tmux("send-keys", "-t", session, "env -u NEXUS_PROGRESS sh '" + script + "'", "Enter");
            String screen = awaitScreen(session, "exit=");

            assertThat(screen.lines().filter(line -> line.contains("cleanup [")))
                    .as(screen)
                    .singleElement()
                    .asString()
                    .contains("[" + "#".repeat(30) + "] 100% 2,000/2,000")
                    .contains("ETA 0s");
            assertThat(screen).contains("2000 event(s) matched, 2000 removed").contains("exit=0");
            String bytes = Files.readString(raw, StandardCharsets.UTF_8);
            int finished = bytes.indexOf("100% 2,000/2,000");
            int report = bytes.indexOf("2000 event(s) matched");
            assertThat(finished).isPositive().isLessThan(report);
            assertThat(bytes.substring(finished, report)).contains("\n");
        } finally {
            tmux("kill-session", "-t", session);
        }
    }

    private static String awaitScreen(String session, String marker) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            String screen = tmux("capture-pane", "-p", "-t", session);
            if (screen.contains(marker)) {
                return screen;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the command did not finish in the terminal; the screen:\n" + screen);
            }
            Thread.sleep(200);
        }
    }

    private static String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("tmux"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("tmux " + String.join(" ", args) + " failed: " + output);
        }
        return output;
    }
}
