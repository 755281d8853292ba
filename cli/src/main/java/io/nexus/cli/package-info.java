/**
 * The {@code nexus} command ({@link io.nexus.cli.Nexus}): the event store's schema, events, durable subscriptions,
 * projections, dead letters, sagas, retention and statistics, on the database a configuration file or a JDBC URL
 * names. Only {@link io.nexus.cli.Nexus} is public; the commands are its subcommands.
 */
@NullMarked
package io.nexus.cli;

import org.jspecify.annotations.NullMarked;
