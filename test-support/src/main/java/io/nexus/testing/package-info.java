/**
 * Test support: {@link io.nexus.testing.PostgresTest} gives each test class its own PostgreSQL database, created from
 * a template migrated once per JVM. Not published.
 */
@NullMarked
package io.nexus.testing;

import org.jspecify.annotations.NullMarked;
