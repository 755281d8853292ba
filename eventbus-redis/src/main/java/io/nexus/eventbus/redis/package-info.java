/**
 * The Redis Streams relay: {@link io.nexus.eventbus.redis.RedisStreamPublisher} appends each event it is handed to a
 * Redis stream with {@code XADD}; {@link io.nexus.eventbus.redis.RedisStreamConsumer} reads that stream in a consumer
 * group ({@code XREADGROUP}), hands each event to an {@link io.nexus.eventbus.EventListener}, acknowledges it with
 * {@code XACK} only after the listener returned, and reclaims entries that a dead or failing consumer left pending
 * with {@code XAUTOCLAIM}.
 *
 * <p><b>Delivery.</b> The publisher is meant to run as the listener of a durable subscription, which delivers each
 * committed event at least once; the consumer delivers each stream entry at least once per group. Either side may
 * therefore repeat an event. Every entry carries the event id in its {@value
 * io.nexus.eventbus.redis.RedisStreamPublisher#FIELD_EVENT_ID} field (and in the envelope), so a consumer that must
 * not apply an event twice deduplicates on {@link io.nexus.eventstore.core.RecordedEvent#eventId()} (or on the
 * global position, which is increasing for one publisher).
 *
 * <p><b>Entry format.</b> Three fields: {@value io.nexus.eventbus.redis.RedisStreamPublisher#FIELD_EVENT_ID}, {@value
 * io.nexus.eventbus.redis.RedisStreamPublisher#FIELD_TYPE} and {@value
 * io.nexus.eventbus.redis.RedisStreamPublisher#FIELD_ENVELOPE}, a JSON object with {@code eventId}, {@code type},
 * {@code streamId}, {@code streamVersion}, {@code position}, {@code recordedAt} (ISO-8601), {@code correlationId},
 * {@code causationId}, {@code source} (each possibly null), {@code metadata} (an object of strings) and {@code data}
 * (the payload JSON).
 */
@NullMarked
package io.nexus.eventbus.redis;

import org.jspecify.annotations.NullMarked;
