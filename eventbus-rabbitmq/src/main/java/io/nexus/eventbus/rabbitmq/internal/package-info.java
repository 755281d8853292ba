/**
 * Not API; may change in any release. The mapping of type patterns to AMQP topic binding keys used by the RabbitMQ
 * relay.
 */
@NullMarked
package io.nexus.eventbus.rabbitmq.internal;

import org.jspecify.annotations.NullMarked;
