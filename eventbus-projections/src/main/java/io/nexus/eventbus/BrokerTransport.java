package io.nexus.eventbus;

import io.nexus.eventstore.core.RecordedEvent;

/**
 * How a {@link BrokerEventBus} reaches the other processes of one bus through a broker: an extension point that the
 * broker modules implement ({@code RedisTransport} in {@code nexus-eventbus-redis}, {@code RabbitMqTransport} in
 * {@code nexus-eventbus-rabbitmq}). The bus keeps the subscriptions, priorities, retries and waiters; the transport
 * only carries events, routes them by type pattern and keeps dead letters.
 *
 * <p>Implementations are thread-safe: {@link #publish} is called from any thread, {@link #listen} and {@link
 * #unlisten} from the threads that subscribe, and the {@link Receiver} is called on the transport's own threads.
 */
public interface BrokerTransport extends AutoCloseable {
    /**
     * Receives what the broker delivers to this process. Called on the transport's threads; a call may block, which
     * holds up the transport's delivery (back-pressure), never loses what it was handed.
     */
    interface Receiver {
        /**
         * An event routed to this process by one of the patterns it listens to.
         *
         * @param event the event, as its emitter recorded it
         */
        void received(RecordedEvent event);

        /**
         * The transport lost its connection and has now listened again: events published meanwhile may not have
         * reached this process (a bus with persistence reads them from the store).
         */
        void reconnected();
    }

    /**
     * Starts delivering to {@code receiver}; called once, before any {@link #listen}.
     *
     * @param receiver where routed events go
     * @throws BrokerUnavailableException if the broker cannot be reached
     */
    void start(Receiver receiver);

    /**
     * Hands {@code event} to the broker for every process listening to a pattern its type matches, and returns once
     * the broker has accepted it.
     *
     * @param event the event to carry
     * @throws BrokerUnavailableException if the broker cannot be reached or refuses the event; nothing was published
     */
    void publish(RecordedEvent event);

    /**
     * Routes the events matching {@code pattern} to this process from now on; returns once the broker does so, so that
     * an event published after the call reaches this process. The bus calls it once per distinct pattern.
     *
     * @param pattern the type pattern
     * @throws BrokerUnavailableException if the broker cannot be reached
     */
    void listen(TypePattern pattern);

    /**
     * Stops routing the events of {@code pattern} to this process (events routed by another pattern still come).
     *
     * @param pattern a pattern given to {@link #listen} before
     */
    void unlisten(TypePattern pattern);

    /**
     * Keeps {@code event}, which a listener failed on after every retry, in the broker's dead-letter stream or queue
     * with the subscription and the error, for inspection and re-delivery by hand.
     *
     * @param event the event the listener failed on
     * @param subscription names the listener (its subscription id and pattern)
     * @param error the last failure
     * @throws BrokerUnavailableException if the broker cannot be reached
     */
    void deadLetter(RecordedEvent event, String subscription, Throwable error);

    /** {@return where dead letters go, for messages and documentation: a stream key or a queue name} */
    String deadLetterDestination();

    /** {@return the broker's address without credentials, for messages} */
    String describe();

    /** Stops delivering and closes the transport's connections. Idempotent. */
    @Override
    void close();
}
