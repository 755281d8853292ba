package io.nexus.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs PostgreSQL: it gets its own database with the event store schema migrated, and may
 * take a {@link javax.sql.DataSource} or a {@link TestDatabase} as constructor or method parameter. Tagged {@code
 * postgres}, so {@code -DexcludedGroups=postgres} gives an offline run. Add {@link AutoCommitOff} for a pool whose
 * connections start with autocommit off.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("postgres")
@ExtendWith(PostgresExtension.class)
public @interface PostgresTest {}
