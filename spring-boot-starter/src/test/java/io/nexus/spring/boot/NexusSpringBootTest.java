package io.nexus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.TestDatabase;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.annotation.Transactional;

/**
 * A whole Spring Boot application on real PostgreSQL: its own DataSource (HikariCP from {@code spring.datasource.*}),
 * its own Flyway migrations, its transaction manager and Micrometer registry, and the starter with {@code
 * nexus.migrate=true}.
 */
@SpringBootTest(
        classes = NexusSpringBootTest.App.class,
        properties = {"nexus.migrate=true", "nexus.postgresql.schema=boot_app", "nexus.health.max-lag=1000000"})
@DirtiesContext
class NexusSpringBootTest {
    /** A database of its own, found the way every {@code @PostgresTest} finds its server. */
    static final TestDatabase DATABASE = TestDatabase.create(true);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DATABASE::jdbcUrl);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Orders.class)
    static class App {}

    /** The application's service: an order row and its event in one {@code @Transactional} method. */
    static class Orders {
        private final JdbcTemplate jdbc;
        private final TransactionalAppender events;

        Orders(JdbcTemplate jdbc, TransactionalAppender events) {
            this.jdbc = jdbc;
            this.events = events;
        }

        @Transactional
        public void place(String id, long amountCents, boolean failAfterwards) {
            jdbc.update("INSERT INTO orders (id, amount_cents) VALUES (?, ?)", id, amountCents);
            events.append(
                    StreamId.of("order", id),
                    ExpectedVersion.noStream(),
                    List.of(NewEvent.of("order.placed", "{\"amountCents\":" + amountCents + "}")));
            if (failAfterwards) {
                throw new IllegalStateException("payment refused for " + id);
            }
        }
    }

    @Autowired
    Orders orders;

    @Autowired
    PostgresEventStore store;

    @Autowired
    EventBus bus;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    DataSource dataSource;

    @Autowired
    MeterRegistry meterRegistry;

    @Test
    void the_pool_is_the_one_the_test_asked_for() {
        assertThat(((HikariDataSource) dataSource).isAutoCommit()).isEqualTo(autoCommit());
    }

    protected boolean autoCommit() {
        return true;
    }

    @Test
    void an_append_in_a_transactional_method_commits_with_the_applications_row() {
        String id = UUID.randomUUID().toString();

        orders.place(id, 4_200, false);

        assertThat(jdbc.queryForObject("SELECT count(*) FROM orders WHERE id = ?", Long.class, id))
                .isEqualTo(1);
        assertThat(store.streamVersion(StreamId.of("order", id))).isEqualTo(1);
    }

    @Test
    void a_transactional_method_that_throws_keeps_neither_the_row_nor_the_event() throws Exception {
        String id = UUID.randomUUID().toString();
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        bus.subscribe("order.placed", event -> seen.add(event.streamId().value()));

        Throwable thrown = catchThrowable(() -> orders.place(id, 4_200, true));
        String committed = UUID.randomUUID().toString();
        orders.place(committed, 1, false); // an event after the rolled-back one, to know the bus got that far

        assertThat(thrown).hasMessageContaining("payment refused");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM orders WHERE id = ?", Long.class, id))
                .isZero();
        assertThat(store.streamVersion(StreamId.of("order", id))).isZero();
        Eventually.until("the committed order is dispatched", () -> seen.contains("order-" + committed));
        assertThat(seen).doesNotContain("order-" + id);
    }

    @Test
    void the_applications_flyway_and_the_nexus_schema_keep_their_own_histories() {
        assertThat(jdbc.queryForObject("SELECT count(*) FROM public.flyway_schema_history WHERE success", Long.class))
                .isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT count(*) FROM boot_app.nexus_schema_history WHERE success", Long.class))
                .isGreaterThan(1);
        assertThat(store.schema()).isEqualTo("boot_app");
        assertThat(bus).isInstanceOf(PostgresEventBus.class);
    }

    @Test
    void the_bus_records_its_meters_in_the_applications_registry() {
        bus.emit(NewEvent.of("user.registered", "{}"));

        assertThat(meterRegistry.find("nexus.bus.events.emitted").counter()).isNotNull();
    }
}
