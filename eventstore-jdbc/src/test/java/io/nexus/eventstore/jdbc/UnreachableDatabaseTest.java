package io.nexus.eventstore.jdbc;

import static io.nexus.eventstore.core.contract.TestEvents.orderPlaced;
import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nexus.eventstore.core.EventStoreAccessException;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.jdbc.internal.DatabaseLocation;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

/** A database that is down: port 1 on loopback, where nothing listens, so every connection is refused at once. */
@Timeout(60)
class UnreachableDatabaseTest {
    private static final String PASSWORD = "s3cret-pw-42";
    private static final String DOWN_URL = "jdbc:postgresql://127.0.0.1:1/orders_db?user=app&password=" + PASSWORD;

    @Test
    void an_append_on_a_store_built_from_a_url_fails_within_the_connect_timeout_naming_host_port_and_database() {
        try (PostgresEventStore store = PostgresEventStore.builder(DOWN_URL).build()) {
            long start = System.nanoTime();

            Throwable thrown = catchThrowable(
                    () -> store.append(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())));

            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(thrown)
                    .isInstanceOf(EventStoreAccessException.class)
                    .hasMessageContaining("could not append to stream")
                    .hasMessageContaining("database 'orders_db' at 127.0.0.1:1")
                    .hasMessageNotContaining(PASSWORD);
            // The default is 5 s; HikariCP's own default would be 30 s. Only the gap between the two is asserted.
            assertThat(took).isLessThan(Duration.ofSeconds(20));
        }
    }

    @Test
    void a_store_built_from_a_url_gives_its_pool_and_driver_the_connect_timeout() {
        try (PostgresEventStore defaults = PostgresEventStore.builder(DOWN_URL).build();
                PostgresEventStore configured = PostgresEventStore.builder(DOWN_URL)
                        .connectTimeout(Duration.ofMillis(1_500))
                        .build()) {
            HikariDataSource defaultPool = defaults.ownedPool();
            HikariDataSource configuredPool = configured.ownedPool();

            assertThat(defaultPool.getConnectionTimeout())
                    .isEqualTo(PostgresEventStore.DEFAULT_CONNECT_TIMEOUT.toMillis());
            assertThat(defaultPool.getDataSourceProperties())
                    .containsEntry("connectTimeout", "5")
                    .containsEntry("loginTimeout", "5");
            assertThat(configuredPool.getConnectionTimeout()).isEqualTo(1_500);
            assertThat(configuredPool.getDataSourceProperties())
                    .containsEntry("connectTimeout", "2")
                    .containsEntry("loginTimeout", "2");
        }
    }

    @Test
    void a_connect_timeout_is_refused_below_250_ms_and_on_a_callers_data_source() {
        assertThatThrownBy(() -> PostgresEventStore.builder(DOWN_URL).connectTimeout(Duration.ofMillis(100)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT0.1S");
        assertThatThrownBy(() ->
                        PostgresEventStore.builder(new PGSimpleDataSource()).connectTimeout(Duration.ofSeconds(5)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("connectTimeout");
    }

    @Test
    void every_operation_on_a_callers_hikari_pool_names_host_port_and_database_when_the_database_is_down() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(DOWN_URL);
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(500);
        try (HikariDataSource pool = new HikariDataSource(config);
                PostgresEventStore store = PostgresEventStore.builder(pool).build()) {

            for (ThrowingCallable operation : operations(store)) {
                assertThat(catchThrowable(operation))
                        .isInstanceOf(EventStoreAccessException.class)
                        .hasMessageContaining("cannot connect to database 'orders_db' at 127.0.0.1:1")
                        .hasMessageNotContaining(PASSWORD);
            }
        }
    }

    @Test
    void a_callers_pgjdbc_data_source_is_named_without_its_password() {
        PGSimpleDataSource down = new PGSimpleDataSource();
        down.setURL("jdbc:postgresql://127.0.0.1:1/orders_db?connectTimeout=2");
        down.setUser("app");
        down.setPassword(PASSWORD);

        try (PostgresEventStore store = PostgresEventStore.builder(down).build()) {
            for (ThrowingCallable operation : operations(store)) {
                assertThat(catchThrowable(operation))
                        .isInstanceOf(EventStoreAccessException.class)
                        .hasMessageContaining("cannot connect to database 'orders_db' at 127.0.0.1:1")
                        .hasMessageNotContaining(PASSWORD);
            }
        }
    }

    @Test
    void a_data_source_that_does_not_say_where_it_connects_is_named_as_such() {
        try (PostgresEventStore store =
                PostgresEventStore.builder(new RefusingDataSource()).build()) {
            Throwable thrown = catchThrowable(
                    () -> store.append(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())));

            assertThat(thrown)
                    .isInstanceOf(EventStoreAccessException.class)
                    .hasMessageContaining("cannot connect to " + DatabaseLocation.UNKNOWN);
        }
    }

    private static List<ThrowingCallable> operations(PostgresEventStore store) {
        return List.of(
                () -> store.append(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())),
                () -> store.appendAll(
                        List.of(StreamAppend.of(uniqueStream("order"), ExpectedVersion.any(), List.of(orderPlaced())))),
                () -> store.readStream(uniqueStream("order"), 1, 10),
                () -> store.readAll(1, 10),
                store::headPosition,
                store::setupWarnings);
    }

    /** A DataSource of a kind the store does not know, whose pool has no connection to give. */
    private static final class RefusingDataSource implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            throw new SQLTransientConnectionException("no connection available");
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return new PrintWriter(System.err, false, StandardCharsets.UTF_8);
        }

        @Override
        public void setLogWriter(PrintWriter out) {}

        @Override
        public void setLoginTimeout(int seconds) {}

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }
}
