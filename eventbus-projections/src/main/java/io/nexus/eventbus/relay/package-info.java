/**
 * What the broker relays (the {@code eventbus-redis} and {@code eventbus-rabbitmq} modules) share, written once: a
 * {@link io.nexus.eventbus.relay.BrokerRelay} feeds a {@link io.nexus.eventbus.relay.RelayPublisher} from a durable
 * subscription of a {@link io.nexus.eventbus.PostgresEventBus}; {@link io.nexus.eventbus.relay.RelayBuilder} and
 * {@link io.nexus.eventbus.relay.RelayConsumerBuilder} hold the settings of the {@linkplain
 * io.nexus.eventstore.json.EventEnvelopeJson envelope} every publisher writes and every consumer reads, and the
 * argument checks their builders have in common. What is particular to a broker stays in its module.
 */
@NullMarked
package io.nexus.eventbus.relay;

import org.jspecify.annotations.NullMarked;
