package io.nexus.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.nexus.testing.AutoCommitOff;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

@PostgresTest
@AutoCommitOff
class AutoCommitDataSourceTest {
    private final TestDatabase database;
    private final DataSource autoCommit;

    AutoCommitDataSourceTest(TestDatabase database) {
        this.database = database;
        this.autoCommit = AutoCommitDataSource.from(database.dataSource());
    }

    private String newTable() {
        String table =
                "public.t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        database.execute("CREATE TABLE " + table + " (n int)");
        return table;
    }

    private long countOnThePool(String table) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void its_connections_come_in_autocommit_and_the_pool_gets_its_setting_back() throws Exception {
        boolean borrowed;
        try (Connection connection = autoCommit.getConnection()) {
            borrowed = connection.getAutoCommit();
        }

        assertThat(borrowed).isTrue();
        for (int i = 0; i < 3; i++) {
            try (Connection connection = database.dataSource().getConnection()) {
                assertThat(connection.getAutoCommit())
                        .as("a connection straight from the pool")
                        .isFalse();
            }
        }
    }

    @Test
    void a_plain_statement_commits() throws Exception {
        String table = newTable();

        try (Connection connection = autoCommit.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO " + table + " VALUES (1)");
        }

        assertThat(countOnThePool(table)).isEqualTo(1);
    }

    @Test
    void jdbi_transactions_on_it_commit_and_roll_back_and_their_handles_close_cleanly() throws Exception {
        String table = newTable();
        Jdbi jdbi = Jdbi.create(autoCommit);

        jdbi.useTransaction(handle -> handle.execute("INSERT INTO " + table + " VALUES (1)"));
        assertThatThrownBy(() -> jdbi.useTransaction(handle -> {
                    handle.execute("INSERT INTO " + table + " VALUES (2)");
                    throw new IllegalStateException("roll this back");
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("roll this back");
        jdbi.useHandle(handle -> handle.execute("INSERT INTO " + table + " VALUES (3)"));

        List<Integer> rows = Jdbi.create(database.dataSource())
                .withHandle(handle -> handle.createQuery("SELECT n FROM " + table + " ORDER BY n")
                        .mapTo(Integer.class)
                        .list());
        assertThat(rows).containsExactly(1, 3);
    }

    @Test
    void wrapping_is_idempotent_and_two_wraps_of_one_pool_are_equal() {
        DataSource again = AutoCommitDataSource.from(database.dataSource());

        assertThat(AutoCommitDataSource.from(autoCommit)).isSameAs(autoCommit);
        assertThat(again).isEqualTo(autoCommit).hasSameHashCodeAs(autoCommit).isNotSameAs(autoCommit);
        assertThat(again).isNotEqualTo(database.dataSource());
    }

    @Test
    void the_pool_behind_it_can_still_be_unwrapped() throws Exception {
        assertThat(autoCommit.unwrap(HikariDataSource.class)).isSameAs(database.dataSource());
        assertThat(autoCommit.isWrapperFor(HikariDataSource.class)).isTrue();
        assertThat(autoCommit.unwrap(AutoCommitDataSource.class)).isSameAs(autoCommit);
    }

    @Test
    void a_null_data_source_is_refused_at_the_call() {
        assertThatThrownBy(() -> AutoCommitDataSource.from(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("dataSource");
    }
}
