package io.nexus.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives a {@link PostgresTest} class a pool whose connections come with autocommit off, as Spring's and many other
 * applications' pools hand them out. Inherited: {@code @AutoCommitOff class XAutoCommitOffTest extends XTest {}} runs
 * every test of {@code XTest} again on such a pool. The test's own writes on that pool must then commit, as an
 * application's would ({@link TestDatabase#execute(String)} does).
 */
@Documented
@Inherited
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface AutoCommitOff {}
