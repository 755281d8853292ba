/**
 * The order saga ({@link io.nexus.examples.OrderSaga}) in a Spring Boot application: a REST endpoint places orders,
 * the Nexus starter runs the saga and the handlers that play the payment service and the warehouse.
 */
@NullMarked
package io.nexus.examples.boot;

import org.jspecify.annotations.NullMarked;
