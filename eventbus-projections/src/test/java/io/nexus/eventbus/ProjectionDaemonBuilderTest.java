package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Eager validation of the daemon's settings and of the progress record; needs no database. */
class ProjectionDaemonBuilderTest {
    private static final PGSimpleDataSource NO_DATABASE = new PGSimpleDataSource();

    private static Projection projection(String name) {
        return Projection.of(name, EventFilter.ALL, (handle, event) -> {}, handle -> {});
    }

    @Test
    void a_lease_shorter_than_the_minimum_is_refused_quoting_the_value() {
        try (PostgresEventStore store = PostgresEventStore.builder(NO_DATABASE).build()) {
            Throwable thrown = catchThrowable(
                    () -> ProjectionDaemon.builder(store, NO_DATABASE).leaseDuration(Duration.ofMillis(10)));

            assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0.01S");
        }
    }

    @Test
    void a_projection_name_registered_twice_is_refused() {
        try (PostgresEventStore store = PostgresEventStore.builder(NO_DATABASE).build()) {
            ProjectionDaemon.Builder builder =
                    ProjectionDaemon.builder(store, NO_DATABASE).register(projection("totals"));

            Throwable thrown = catchThrowable(() -> builder.register(projection("totals")));

            assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'totals'");
        }
    }

    @Test
    void blank_names_and_an_empty_daemon_are_refused() {
        try (PostgresEventStore store = PostgresEventStore.builder(NO_DATABASE).build()) {
            ProjectionDaemon.Builder builder = ProjectionDaemon.builder(store, NO_DATABASE);

            assertThat(catchThrowable(() -> projection(" "))).isInstanceOf(IllegalArgumentException.class);
            assertThat(catchThrowable(() -> builder.owner(""))).isInstanceOf(IllegalArgumentException.class);
            assertThat(catchThrowable(builder::build)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void progress_reports_lag_and_the_share_processed() {
        ProjectionProgress progress = new ProjectionProgress("totals", ProjectionStatus.REBUILDING, 250, 1_000);

        assertThat(progress.lag()).isEqualTo(750);
        assertThat(progress.fraction()).isEqualTo(0.25);
        assertThat(new ProjectionProgress("totals", ProjectionStatus.ACTIVE, 0, 0).fraction())
                .isEqualTo(1.0);
        assertThat(ProjectionStatus.fromSql("rebuilding")).isEqualTo(ProjectionStatus.REBUILDING);
    }
}
