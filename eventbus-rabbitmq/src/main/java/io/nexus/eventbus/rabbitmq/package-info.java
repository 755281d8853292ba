/**
 * The RabbitMQ relay: {@link io.nexus.eventbus.rabbitmq.RabbitMqPublisher} publishes each event it is handed to a
 * durable topic exchange, persistently and with publisher confirms, under the routing key of its type name; {@link
 * io.nexus.eventbus.rabbitmq.RabbitMqConsumer} consumes a durable queue bound to that exchange by type patterns, hands
 * each event to an {@link io.nexus.eventbus.EventListener}, and acknowledges it only after the listener returned.
 *
 * <p><b>Delivery.</b> The publisher is meant to run as the listener of a durable subscription, which delivers each
 * committed event at least once; a consumer's queue delivers each message at least once. Either side may therefore
 * repeat an event. Every message carries the event id as its AMQP {@code message-id} (and in the envelope), so a
 * consumer that must not apply an event twice deduplicates on {@link io.nexus.eventstore.core.RecordedEvent#eventId()}.
 *
 * <p><b>Message format.</b> Body: a UTF-8 JSON object with {@code eventId}, {@code type}, {@code streamId}, {@code
 * streamVersion}, {@code position}, {@code recordedAt} (ISO-8601), {@code correlationId}, {@code causationId}, {@code
 * source} (each possibly null), {@code metadata} (an object of strings) and {@code data} (the payload JSON).
 * Properties: {@code content-type application/json}, {@code delivery-mode 2} (persistent), {@code message-id} = event
 * id, {@code type} = event type, {@code timestamp} = recorded-at (seconds), {@code correlation-id} = correlation id
 * and {@code app-id} = source when present.
 *
 * <p><b>Type patterns and topic bindings.</b> AMQP topic keys are dot-separated words, so a consumer binds its queue
 * with: an exact type as itself; {@code *} as {@code #}; {@code user.*} as {@code user.#} (Nexus prefix patterns match
 * at any depth, {@code user.profile.changed} included); {@code *.error} as {@code #.error}. The {@code #} forms also
 * route the bare word ({@code user}, {@code error}); the consumer acknowledges and skips those. Bindings stay on a
 * queue when a consumer is later started with fewer patterns; the consumer skips what its patterns do not match, and
 * removing stale bindings is the operator's job.
 */
@NullMarked
package io.nexus.eventbus.rabbitmq;

import org.jspecify.annotations.NullMarked;
