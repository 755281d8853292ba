/**
 * Nexus in a Spring Boot application: {@link io.nexus.spring.boot.NexusAutoConfiguration} builds the event store and
 * the bus on the application's {@code DataSource} from the {@code nexus.*} properties ({@link
 * io.nexus.spring.boot.NexusProperties}), migrates the schema when {@code nexus.migrate} is on, registers every bean's
 * {@code @EventHandler} methods, runs projection and saga beans in the application's lifecycle ({@link
 * io.nexus.spring.boot.NexusWorkers}), appends inside {@code @Transactional} methods ({@link
 * io.nexus.spring.boot.TransactionalAppender}), and reports through Micrometer and Actuator ({@link
 * io.nexus.spring.boot.NexusHealthIndicator}, {@link io.nexus.spring.boot.NexusEndpoint}). Every bean can be replaced
 * by declaring one's own.
 */
@NullMarked
package io.nexus.spring.boot;

import org.jspecify.annotations.NullMarked;
