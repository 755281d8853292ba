package io.nexus.spring.boot;

import org.springframework.test.context.TestPropertySource;

/** The same application on a pool whose connections come with autocommit off, as many applications configure it. */
@TestPropertySource(properties = "spring.datasource.hikari.auto-commit=false")
class NexusSpringBootAutoCommitOffTest extends NexusSpringBootTest {
    @Override
    protected boolean autoCommit() {
        return false;
    }
}
