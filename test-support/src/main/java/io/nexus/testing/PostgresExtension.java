package io.nexus.testing;

import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test class its own database (see {@link PostgresTest}) and injects its {@link DataSource} or {@link
 * TestDatabase}; the pool hands out connections in autocommit unless the class is {@link AutoCommitOff}. After the
 * class, it fails the class if connections were left checked out, then drops the database.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(PostgresExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        database(context);
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        TestDatabase database = context.getStore(NAMESPACE).remove(context.getRequiredTestClass(), TestDatabase.class);
        if (database == null) {
            return;
        }
        try {
            int active = activeConnections(database);
            if (active > 0) {
                throw new AssertionError(context.getRequiredTestClass().getSimpleName() + " left " + active
                        + " connection(s) checked out of the pool: close what you open");
            }
        } finally {
            database.dataSource().close();
            TestDatabaseServer.get().dropDatabase(database.name());
        }
    }

    /** Waits briefly for connections being returned by background threads that are shutting down. */
    private static int activeConnections(TestDatabase database) throws InterruptedException {
        int active = database.dataSource().getHikariPoolMXBean().getActiveConnections();
        for (int i = 0; i < 50 && active > 0; i++) {
            Thread.sleep(100);
            active = database.dataSource().getHikariPoolMXBean().getActiveConnections();
        }
        return active;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == DataSource.class || type == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context)
            throws ParameterResolutionException {
        TestDatabase database = database(context);
        return parameter.getParameter().getType() == TestDatabase.class ? database : database.dataSource();
    }

    /** The class's database: created in beforeAll, found from the class's store by every child context. */
    private static TestDatabase database(ExtensionContext context) {
        return context.getStore(NAMESPACE)
                .getOrComputeIfAbsent(
                        context.getRequiredTestClass(),
                        c -> TestDatabaseServer.get().createDatabase(!c.isAnnotationPresent(AutoCommitOff.class)),
                        TestDatabase.class);
    }
}
