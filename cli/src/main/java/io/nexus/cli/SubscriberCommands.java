package io.nexus.cli;

import io.nexus.eventbus.DeadLetter;
import io.nexus.eventbus.ProjectionStatus;
import io.nexus.eventbus.SubscriptionAdmin;
import io.nexus.eventbus.SubscriptionStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code subscriptions}, {@code projections} and {@code dead-letters}: operating durable subscribers. */
final class SubscriberCommands {
    private SubscriberCommands() {}

    enum Action {
        list,
        status,
        pause,
        resume,
        reset,
        rebuild
    }

    /** What {@code subscriptions} and {@code projections} share; they differ only in the kind of row. */
    abstract static class Subscribers extends DatabaseCommand {
        @Parameters(index = "0", paramLabel = "ACTION", description = "list, status, pause, resume, reset, rebuild")
        Action action = Action.list;

        @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "the subscriber (all but list)")
        @Nullable
        String name;

        @Option(
                names = "--wait",
                description = "with rebuild or reset: follow the replay with a progress bar until it has caught up")
        boolean await;

        @Option(names = "--timeout", description = "with --wait: give up after this long (default: ${DEFAULT-VALUE})")
        Duration timeout = Duration.ofMinutes(30);

        abstract SubscriptionStatus.Kind kind();

        @Override
        int run(Database.Session session) throws InterruptedException {
            SubscriptionAdmin admin = SubscriptionAdmin.create(session.store(), session.dataSource());
            String what = kind().name().toLowerCase(Locale.ROOT);
            if (action == Action.list) {
                List<SubscriptionStatus> all = admin.list(kind());
                printTable(out(), all);
                return 0;
            }
            if (name == null) {
                throw usage(action + " needs the " + what + "'s name");
            }
            String subscriber = name;
            boolean found = switch (action) {
                case status -> {
                    var status = admin.status(kind(), subscriber);
                    status.ifPresent(s -> printTable(out(), List.of(s)));
                    yield status.isPresent();
                }
                case pause -> admin.pause(kind(), subscriber);
                case resume -> admin.resume(kind(), subscriber);
                case reset -> admin.reset(kind(), subscriber, ProjectionStatus.ACTIVE);
                case rebuild -> admin.reset(kind(), subscriber, ProjectionStatus.REBUILDING);
                case list -> throw new AssertionError(action);
            };
            if (!found) {
                throw new IllegalArgumentException("no " + what + " named '" + subscriber + "'; " + "nexus "
                        + commandLine().getCommandName() + " list shows them");
            }
            switch (action) {
                case pause ->
                    out().println(what + " '" + subscriber + "' paused; its owner stops after the batch in flight"
                            + " and keeps its checkpoint");
                case resume -> out().println(what + " '" + subscriber + "' resumed from its checkpoint");
                case reset, rebuild -> {
                    out().println(what + " '" + subscriber + "' reset to position 0"
                            + (action == Action.rebuild ? " (rebuilding)" : "")
                            + "; its owner replays the global order (a read model is not cleared from here)");
                    if (await) {
                        return follow(admin, session.store().headPosition(), subscriber);
                    }
                }
                default -> {}
            }
            return 0;
        }

        /** Follows the replay up to {@code target} with a progress bar; 1 if it does not get there in time. */
        private int follow(SubscriptionAdmin admin, long target, String subscriber) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            try (Progress progress = new Progress(err(), "replay " + subscriber, target, Progress.onTerminal())) {
                while (true) {
                    SubscriptionStatus status = admin.status(kind(), subscriber).orElseThrow();
                    progress.update(Math.min(status.checkpoint(), target), target);
                    // the row turns active with the owner's next caught-up commit, which may wait for a new event
                    if (status.checkpoint() >= target) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(
                                "'" + subscriber + "' reached " + status.checkpoint() + " of " + target + " within "
                                        + timeout + (status.owner() == null ? "; no process owns it" : ""));
                    }
                    Thread.sleep(100);
                }
            }
            out().println("'" + subscriber + "' caught up with position " + target);
            return 0;
        }
    }

    static void printTable(PrintWriter out, List<SubscriptionStatus> rows) {
        out.printf(
                "%-32s %-10s %12s %12s %10s  %-24s %s%n",
                "name", "status", "checkpoint", "head", "lag", "owner", "last error");
        for (SubscriptionStatus s : rows) {
            out.printf(
                    "%-32s %-10s %12d %12d %10d  %-24s %s%n",
                    s.name().value(),
                    s.status().sqlValue(),
                    s.checkpoint(),
                    s.head(),
                    s.lag(),
                    s.owner() == null ? "-" : s.owner(),
                    s.lastError() == null ? "-" : Nexus.oneLine(new IllegalStateException(s.lastError())));
        }
    }

    @Command(
            name = "subscriptions",
            description = "Durable subscriptions: list, status NAME (lag, owner, last error), pause, resume, reset,"
                    + " rebuild.")
    static final class Subscriptions extends Subscribers {
        @Override
        SubscriptionStatus.Kind kind() {
            return SubscriptionStatus.Kind.SUBSCRIPTION;
        }
    }

    @Command(
            name = "projections",
            description = "Projections: list, status NAME (lag, owner, last error), pause, resume, reset, rebuild"
                    + " (--wait shows the replay's progress).")
    static final class Projections extends Subscribers {
        @Override
        SubscriptionStatus.Kind kind() {
            return SubscriptionStatus.Kind.PROJECTION;
        }
    }

    enum DeadLetterAction {
        list,
        retry,
        discard
    }

    @Command(
            name = "dead-letters",
            description = "Dead letters of a durable subscription: list --subscription NAME, discard ID, retry ID"
                    + " (or retry --all --subscription NAME): the process that owns the subscription re-delivers it"
                    + " within a flush interval; --wait waits for the outcome.")
    static final class DeadLetters extends DatabaseCommand {
        @Parameters(index = "0", paramLabel = "ACTION", description = "list, retry or discard")
        DeadLetterAction action = DeadLetterAction.list;

        @Parameters(index = "1", arity = "0..1", paramLabel = "ID", description = "the dead letter (retry, discard)")
        @Nullable
        Long id;

        @Option(names = "--subscription", description = "the durable subscription (list, retry --all)")
        @Nullable
        String subscription;

        @Option(names = "--all", description = "retry: every dead letter of --subscription")
        boolean all;

        @Option(
                names = "--wait",
                description = "retry ID: wait until the owner has re-delivered it; exit 1 if it failed again")
        boolean await;

        @Option(names = "--timeout", description = "with --wait: give up after this long (default: ${DEFAULT-VALUE})")
        Duration timeout = Duration.ofMinutes(1);

        @Option(names = "--max", description = "the most to list (default: ${DEFAULT-VALUE})")
        int max = 100;

        @Override
        int run(Database.Session session) throws InterruptedException {
            SubscriptionAdmin admin = SubscriptionAdmin.create(session.store(), session.dataSource());
            switch (action) {
                case list -> {
                    if (subscription == null) {
                        throw usage("list needs --subscription NAME");
                    }
                    out().printf(
                                    "%-8s %10s %-10s %-30s %-24s %8s %-8s  %s%n",
                                    "id", "position", "failed at", "stream", "type", "attempts", "retry", "error");
                    for (DeadLetter d : admin.deadLetters().list(subscription, max)) {
                        out().printf(
                                        "%-8d %10d %-10s %-30s %-24s %8d %-8s  %s%n",
                                        d.id(),
                                        d.position(),
                                        d.failedAt().toString().substring(0, 10),
                                        d.streamId().value(),
                                        d.type(),
                                        d.attempts(),
                                        d.retryRequestedAt() == null ? "-" : "pending",
                                        Nexus.oneLine(new IllegalStateException(d.error())));
                    }
                }
                case discard -> {
                    long deadLetter = requireId();
                    if (!admin.deadLetters().discard(deadLetter)) {
                        throw new IllegalArgumentException("no dead letter " + deadLetter);
                    }
                    out().println("dead letter " + deadLetter + " discarded");
                }
                case retry -> {
                    return all ? retryAll(admin) : retry(admin, requireId());
                }
            }
            return 0;
        }

        private int retryAll(SubscriptionAdmin admin) {
            if (subscription == null || id != null || await) {
                throw usage("retry --all needs --subscription NAME, and takes neither an ID nor --wait");
            }
            String name = subscription;
            if (admin.status(SubscriptionStatus.Kind.SUBSCRIPTION, name).isEmpty()) {
                throw new IllegalArgumentException(
                        "no durable subscription named '" + name + "'; nexus subscriptions list shows them");
            }
            int requested = admin.deadLetters().requestRetryAll(name);
            out().println(requested + " dead letter(s) of '" + name + "' to re-deliver; " + owner(admin, name));
            return 0;
        }

        private int retry(SubscriptionAdmin admin, long deadLetter) throws InterruptedException {
            String name = admin.deadLetters()
                    .requestRetry(deadLetter)
                    .orElseThrow(() -> new IllegalArgumentException(
                            "no dead letter " + deadLetter + " (dead-letters list --subscription NAME shows them)"));
            out().println("dead letter " + deadLetter + " of '" + name + "' to re-deliver; " + owner(admin, name));
            if (!await) {
                return 0;
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Optional<DeadLetter> letter = admin.deadLetters().find(deadLetter);
                if (letter.isEmpty()) {
                    out().println("dead letter " + deadLetter + " re-delivered and handled (or discarded meanwhile)");
                    return 0;
                }
                if (letter.get().retryRequestedAt() == null) {
                    throw new IllegalStateException("dead letter " + deadLetter + " failed again after "
                            + letter.get().attempts() + " attempt(s) in all: "
                            + Nexus.oneLine(
                                    new IllegalStateException(letter.get().error())));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("dead letter " + deadLetter + " was not re-delivered within "
                            + timeout + "; the request stays pending for " + owner(admin, name));
                }
                Thread.sleep(100);
            }
        }

        /** Who will run a re-delivery of {@code name}: its owner, or nobody right now. */
        private static String owner(SubscriptionAdmin admin, String name) {
            SubscriptionStatus status =
                    admin.status(SubscriptionStatus.Kind.SUBSCRIPTION, name).orElseThrow();
            if (status.status() == ProjectionStatus.PAUSED) {
                return "it is paused: the re-delivery runs once it is resumed";
            }
            Instant lease = status.leaseExpiresAt();
            return status.owner() == null || lease == null || lease.isBefore(Instant.now())
                    ? "no process consumes it now: the request stays pending until one does"
                    : "its owner " + status.owner() + " runs it within a flush interval";
        }

        private long requireId() {
            if (id == null) {
                throw usage(action + " needs the dead letter's id (dead-letters list shows them)");
            }
            return id;
        }
    }
}
