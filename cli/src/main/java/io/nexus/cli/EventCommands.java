package io.nexus.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import io.nexus.eventbus.TypePattern;
import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code append}, {@code read}, {@code tail} and {@code replay}: events in and out of the store. */
final class EventCommands {
    private EventCommands() {}

    @Command(
            name = "append",
            description = "Appends events from a JSON file (or stdin) to a stream: an object"
                    + " {\"type\": .., \"data\": ..} or an array of them (also metadata, eventId, correlationId,"
                    + " causationId, source).")
    static final class Append extends DatabaseCommand {
        @Option(names = "--stream", required = true, description = "the stream, such as order-42")
        String stream = "";

        @Option(
                names = "--expected",
                paramLabel = "VERSION",
                description = "what the stream must be at: any (default), no-stream, exists, or a version number")
        String expected = "any";

        @Parameters(arity = "0..1", paramLabel = "FILE", description = "the JSON file; - or none reads stdin")
        @Nullable
        Path file;

        @Override
        int run(Database.Session session) throws IOException {
            ExpectedVersion expectedVersion = expectedVersion(expected);
            StreamId streamId = StreamId.of(stream);
            List<NewEvent> events = Json.newEvents(readInput());
            AppendResult result = session.store().append(streamId, expectedVersion, events);
            out().println("appended " + events.size() + " event(s) to '" + streamId.value() + "': versions "
                    + result.firstVersion() + ".." + result.nextExpectedVersion());
            return 0;
        }

        private String readInput() throws IOException {
            if (file == null || file.toString().equals("-")) {
                InputStream in = System.in;
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        }

        private ExpectedVersion expectedVersion(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "any" -> ExpectedVersion.any();
                case "no-stream" -> ExpectedVersion.noStream();
                case "exists" -> ExpectedVersion.streamExists();
                default -> {
                    try {
                        yield ExpectedVersion.exactly(Long.parseLong(text));
                    } catch (IllegalArgumentException e) {
                        throw usage("--expected must be any, no-stream, exists or a version number >= 0, was '" + text
                                + "'");
                    }
                }
            };
        }
    }

    @Command(name = "read", description = "Reads a stream, forward (oldest first) or backward.")
    static final class Read extends DatabaseCommand {
        @Parameters(index = "0", paramLabel = "STREAM", description = "the stream, such as order-42")
        String stream = "";

        @Option(names = "--backward", description = "newest first")
        boolean backward;

        @Option(
                names = "--from",
                paramLabel = "VERSION",
                description = "the first version to show (default: 1, or the last with --backward)")
        @Nullable
        Long from;

        @Option(names = "--max", description = "the most events to show (default: all)")
        long max = Long.MAX_VALUE;

        @Option(names = "--json", description = "one JSON object per line, with the whole envelope")
        boolean json;

        @Override
        int run(Database.Session session) {
            StreamId streamId = StreamId.of(stream);
            PostgresEventStore store = session.store();
            if (!store.streamExists(streamId)) {
                throw new IllegalArgumentException("stream '" + streamId.value() + "' does not exist");
            }
            Iterable<RecordedEvent> events = backward
                    ? store.streamEventsBackward(streamId, from != null ? from : store.streamVersion(streamId))
                    : store.streamEvents(streamId, from != null ? from : 1);
            long shown = 0;
            for (RecordedEvent event : events) {
                if (shown++ >= max) {
                    break;
                }
                out().println(json ? Json.recorded(event).toString() : Json.line(event));
            }
            return 0;
        }
    }

    @Command(
            name = "tail",
            description = "Shows the last events of the global order, optionally of matching types, and with"
                    + " --follow the new ones as they are committed (Ctrl-C stops).")
    static final class Tail extends DatabaseCommand {
        @Option(names = "--type", paramLabel = "PATTERN", description = "type pattern: order.placed, order.*, *.error")
        String type = "*";

        @Option(
                names = "--last",
                description = "how many of the latest events to start with (default: ${DEFAULT-VALUE})")
        long last = 10;

        @Option(names = "--from", paramLabel = "POSITION", description = "start at this global position instead")
        @Nullable
        Long from;

        @Option(
                names = {"-f", "--follow"},
                description = "keep going: print new events as they are committed")
        boolean follow;

        @Option(names = "--max", description = "stop after this many events (default: no limit)")
        long max = Long.MAX_VALUE;

        @Option(names = "--poll-ms", description = "with --follow, how often to look (default: ${DEFAULT-VALUE})")
        long pollMillis = 200;

        @Option(names = "--json", description = "one JSON object per line, with the whole envelope")
        boolean json;

        @Override
        int run(Database.Session session) throws InterruptedException {
            TypePattern pattern = TypePattern.of(type);
            PostgresEventStore store = session.store();
            long next = from != null ? from : Math.max(1, store.headPosition() - last + 1);
            long shown = 0;
            while (true) {
                List<RecordedEvent> page = store.readAll(next, 500, EventFilter.ALL);
                for (RecordedEvent event : page) {
                    next = event.position() + 1;
                    if (pattern.matches(event.type())) {
                        out().println(json ? Json.recorded(event).toString() : Json.line(event));
                        if (++shown >= max) {
                            out().flush();
                            return 0;
                        }
                    }
                }
                out().flush();
                if (page.isEmpty()) {
                    if (!follow) {
                        return 0;
                    }
                    Thread.sleep(pollMillis);
                }
            }
        }
    }

    @Command(
            name = "replay",
            description = "Writes a stream's events to a JSON file (an array of envelopes), with progress.")
    static final class Replay extends DatabaseCommand {
        @Parameters(index = "0", paramLabel = "STREAM", description = "the stream, such as order-42")
        String stream = "";

        @Option(
                names = {"-o", "--output"},
                required = true,
                paramLabel = "FILE",
                description = "the JSON file")
        Path output = Path.of("events.json");

        @Option(names = "--from", paramLabel = "VERSION", description = "the first version (default: 1)")
        long from = 1;

        @Override
        int run(Database.Session session) throws IOException {
            StreamId streamId = StreamId.of(stream);
            PostgresEventStore store = session.store();
            long total = store.streamVersion(streamId);
            if (total == 0) {
                throw new IllegalArgumentException("stream '" + streamId.value() + "' does not exist");
            }
            // written beside the target and moved at the end, so a failed replay leaves no half file behind
            Path partial = output.resolveSibling(output.getFileName() + ".partial");
            long written = 0;
            try (Progress progress =
                            new Progress(err(), "replay " + streamId.value(), total - from + 1, Progress.onTerminal());
                    JsonGenerator json =
                            Json.MAPPER.getFactory().createGenerator(partial.toFile(), JsonEncoding.UTF8)) {
                json.writeStartArray();
                for (RecordedEvent event : store.streamEvents(streamId, from)) {
                    json.writeTree(Json.recorded(event));
                    written++;
                    progress.update(written, Math.max(total - from + 1, written));
                }
                json.writeEndArray();
            }
            Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING);
            out().println("replayed " + written + " event(s) of '" + streamId.value() + "' to " + output);
            return 0;
        }
    }
}
