package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

import io.nexus.eventbus.internal.PerEventDelivery;
import io.nexus.eventbus.internal.SubscriptionRows;
import io.nexus.eventstore.core.EventStoreAccessException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;

/**
 * The dead letters of the durable subscriptions in one schema ({@link PostgresEventBus#deadLetters()}): events a
 * subscription gave up on after all retries, kept in {@code dead_letters} until they are re-delivered or discarded.
 *
 * <p>Thread-safe. Database failures throw {@link EventStoreAccessException}.
 */
public final class DeadLetters {
    private final Jdbi jdbi;
    private final SubscriptionRows rows;
    private final Function<String, Optional<PerEventDelivery>> running;

    DeadLetters(Jdbi jdbi, SubscriptionRows rows, Function<String, Optional<PerEventDelivery>> running) {
        this.jdbi = jdbi;
        this.rows = rows;
        this.running = running;
    }

    /**
     * The dead letters of {@code subscription}, oldest position first, at most {@code maxCount}.
     *
     * @param subscription the durable subscription's name
     * @param maxCount the most dead letters to return; at least 1
     * @return the dead letters
     * @throws IllegalArgumentException if {@code maxCount} is below 1
     */
    public List<DeadLetter> list(String subscription, int maxCount) {
        requireNonNull(subscription, "subscription");
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be >= 1, was " + maxCount);
        }
        return run(
                "list the dead letters of '" + subscription + "'",
                () -> jdbi.inTransaction(handle -> rows.deadLetters(handle, subscription, maxCount)));
    }

    /**
     * How many dead letters each subscription has, by subscription name; subscriptions without any are left out.
     *
     * @return the counts, in name order
     */
    public Map<String, Long> counts() {
        return run("count the dead letters", () -> jdbi.withHandle(rows::deadLetterCounts));
    }

    /**
     * Dead letter {@code deadLetterId}, with its pending re-delivery if one was asked for.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return it, or empty when there is no such dead letter (re-delivered and handled, discarded, or never was)
     */
    public Optional<DeadLetter> find(long deadLetterId) {
        return run(
                "read dead letter " + deadLetterId,
                () -> jdbi.inTransaction(handle -> rows.deadLetter(handle, deadLetterId)));
    }

    /**
     * Re-delivers dead letter {@code deadLetterId} to its subscription's listener in this process, with the usual
     * retries, on the subscription's thread between batches: {@link #requestRetry} and a wait for its outcome. The
     * subscription must be consumed by this bus right now.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return a future: true when the listener handled it (the dead letter is deleted), false when it failed again
     *     (the dead letter stays, with its attempts and error updated); it fails with {@link IllegalArgumentException}
     *     for an unknown dead letter and {@link IllegalStateException} when this bus does not consume the subscription
     *     (nothing is recorded then) or lost it before the re-delivery ran (the request stays for the next owner)
     */
    public CompletableFuture<Boolean> retry(long deadLetterId) {
        Optional<String> subscription = run(
                "find dead letter " + deadLetterId,
                () -> jdbi.inTransaction(handle -> rows.deadLetterSubscription(handle, deadLetterId)));
        if (subscription.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("no dead letter " + deadLetterId));
        }
        Optional<PerEventDelivery> consumer = running.apply(subscription.get());
        if (consumer.isEmpty() || !consumer.get().isActive()) {
            return CompletableFuture.failedFuture(new IllegalStateException("dead letter " + deadLetterId
                    + " belongs to durable subscription '" + subscription.get() + "', which this bus does not run"
                    + " right now; requestRetry(" + deadLetterId + ") leaves the re-delivery to its owner"));
        }
        if (requestRetry(deadLetterId).isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("no dead letter " + deadLetterId));
        }
        return consumer.get().awaitRetry(deadLetterId);
    }

    /**
     * Asks whichever process consumes the dead letter's subscription to re-deliver it, from any process (the {@code
     * nexus dead-letters retry} command): the request is stored with the dead letter, and the owner of the
     * subscription's lease runs it within about one {@link BusConfig#flushInterval()}, through its listener with the
     * usual retries. Handled, the dead letter is deleted; failed again, it stays with its attempts and error updated
     * and the request cleared. While no process consumes the subscription (or it is paused) the request stays pending
     * ({@link DeadLetter#retryRequestedAt()}). Asking again while one is pending changes nothing.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return its subscription's name, or empty when there is no such dead letter (nothing is recorded)
     */
    public Optional<String> requestRetry(long deadLetterId) {
        return run(
                "request a re-delivery of dead letter " + deadLetterId,
                () -> jdbi.inTransaction(handle -> rows.requestRetry(handle, deadLetterId)));
    }

    /**
     * {@link #requestRetry} for every dead letter of {@code subscription}.
     *
     * @param subscription the durable subscription's name
     * @return how many dead letters it has (each now has a pending request)
     */
    public int requestRetryAll(String subscription) {
        requireNonNull(subscription, "subscription");
        return run(
                "request a re-delivery of the dead letters of '" + subscription + "'",
                () -> jdbi.inTransaction(handle -> rows.requestRetries(handle, subscription)));
    }

    /**
     * Deletes dead letter {@code deadLetterId} without re-delivering it. A re-delivery already running in the owner
     * finishes, but records nothing afterwards: a discarded dead letter never comes back.
     *
     * @param deadLetterId the dead letter's {@link DeadLetter#id()}
     * @return whether it existed
     */
    public boolean discard(long deadLetterId) {
        return run(
                "discard dead letter " + deadLetterId,
                () -> jdbi.inTransaction(handle -> rows.deleteDeadLetter(handle, deadLetterId)));
    }

    static <T> T run(String action, Supplier<T> work) {
        try {
            return work.get();
        } catch (JdbiException e) {
            throw new EventStoreAccessException("could not " + action + ": " + e.getMessage(), e);
        }
    }
}
