package io.nexus.eventbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine under durable subscriptions and projections: what both kinds now share. */
@PostgresTest
@Timeout(120)
class CheckpointedConsumerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TestDatabase database;
    private final Jdbi jdbi;
    private final PostgresEventStore store;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    CheckpointedConsumerTest(TestDatabase database) {
        this.database = database;
        this.jdbi = Jdbi.create(database.dataSource());
        this.store = PostgresEventStore.builder(database.dataSource())
                .schema(database.schema())
                .build();
    }

    @AfterEach
    void close_all() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        store.close();
    }

    private PostgresEventBus bus(java.util.function.UnaryOperator<PostgresEventBus.Builder> settings) {
        PostgresEventBus bus = settings.apply(
                        PostgresEventBus.builder(store, database.dataSource()).flushInterval(Duration.ofMillis(50)))
                .build();
        closeables.add(bus);
        return bus;
    }

    private ProjectionDaemon daemon(Projection projection) {
        ProjectionDaemon daemon = ProjectionDaemon.builder(store, database.dataSource())
                .register(projection)
                .config(BusConfig.builder()
                        .flushInterval(Duration.ofMillis(50))
                        .retryDelay(Duration.ofMillis(50))
                        .build())
                .build();
        closeables.add(daemon);
        return daemon;
    }

    private static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    private long queryLong(String sql) {
        return jdbi.withHandle(
                handle -> handle.createQuery(sql).mapTo(Long.class).one());
    }

    @Test
    void subscriptions_and_projections_share_one_lease_default_and_one_owner_format() {
        PostgresEventBus bus = bus(b -> b);
        ProjectionDaemon daemon = daemon(Projection.of(unique("p"), EventFilter.ALL, (h, e) -> {}, h -> {}));
        String format = "\\d+@.+/[0-9a-f]{8}";

        assertThat(PostgresEventBus.DEFAULT_LEASE_DURATION).isEqualTo(ProjectionDaemon.DEFAULT_LEASE_DURATION);
        assertThat(bus.owner()).matches(format);
        assertThat(daemon.owner()).matches(format);
        assertThat(bus.owner()).isNotEqualTo(daemon.owner());
    }

    @Test
    void a_name_clash_throws_the_same_exception_from_either_side() {
        PostgresEventBus bus = bus(b -> b);
        String subscription = unique("sub-");
        bus.subscribeDurable(subscription, "*", event -> {});
        String projection = unique("proj-");
        daemon(Projection.of(projection, EventFilter.ALL, (h, e) -> {}, h -> {}))
                .start();

        Throwable projectionSide =
                catchThrowable(() -> daemon(Projection.of(subscription, EventFilter.ALL, (h, e) -> {}, h -> {}))
                        .start());
        Throwable subscriptionSide = catchThrowable(() -> bus.subscribeDurable(projection, "*", event -> {}));

        assertThat(projectionSide)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(subscription)
                .hasMessageContaining("subscription");
        assertThat(subscriptionSide)
                .isExactlyInstanceOf(projectionSide.getClass())
                .hasMessageContaining(projection)
                .hasMessageContaining("projection");
    }

    @Test
    void one_name_type_refuses_blank_long_and_control_character_names_from_both_sides() {
        PostgresEventBus bus = bus(b -> b);
        String tooLong = "n".repeat(SubscriptionName.MAX_LENGTH + 1);

        for (String bad : List.of(" ", tooLong, "tab\there")) {
            Throwable subscription = catchThrowable(() -> bus.subscribeDurable(bad, "*", event -> {}));
            Throwable projection = catchThrowable(() -> Projection.of(bad, EventFilter.ALL, (h, e) -> {}, h -> {}));

            assertThat(subscription)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
            assertThat(projection).isInstanceOf(IllegalArgumentException.class).hasMessage(subscription.getMessage());
        }
        assertThat(SubscriptionName.of("n".repeat(SubscriptionName.MAX_LENGTH)).value())
                .hasSize(200);
    }

    @Test
    void the_status_view_is_the_same_record_for_a_subscription_and_a_projection() throws Exception {
        String ns = unique("status");
        PostgresEventBus bus = bus(b -> b.retryAttempts(0).retryDelay(Duration.ofMillis(10)));
        String subscription = unique("sub-");
        DurableSubscription running = bus.subscribeDurable(subscription, ns + ".*", event -> {
            throw new IllegalStateException("refused " + event.type());
        });
        String projection = unique("proj-");
        ProjectionDaemon daemon = daemon(Projection.of(projection, EventFilter.ALL, (h, e) -> {}, h -> {}))
                .start();
        bus.emit(NewEvent.of(ns + ".one", "{}"));
        bus.emit(NewEvent.of(ns + ".two", "{}"));
        long head = store.headPosition();
        await("the subscription passed both events").atMost(WAIT).until(() -> running.position() >= head);
        daemon.awaitPosition(projection, head, WAIT);
        await("the subscription's checkpoint is stored")
                .atMost(WAIT)
                .until(() -> bus.status(subscription).orElseThrow().checkpoint() >= head);

        SubscriptionStatus ofSubscription = bus.status(subscription).orElseThrow();
        SubscriptionStatus ofProjection = daemon.status(projection).orElseThrow();

        assertThat(ofSubscription.name()).isEqualTo(SubscriptionName.of(subscription));
        assertThat(ofSubscription.kind()).isEqualTo(SubscriptionStatus.Kind.SUBSCRIPTION);
        assertThat(ofSubscription.status()).isEqualTo(ProjectionStatus.ACTIVE);
        assertThat(ofSubscription.checkpoint()).isGreaterThanOrEqualTo(head);
        assertThat(ofSubscription.head()).isGreaterThanOrEqualTo(ofSubscription.checkpoint());
        assertThat(ofSubscription.lag()).isZero();
        assertThat(ofSubscription.owner()).isEqualTo(bus.owner());
        assertThat(ofSubscription.leaseExpiresAt()).isNotNull();
        assertThat(ofSubscription.lastError()).contains("refused " + ns + ".two");
        assertThat(ofSubscription.lastErrorAt()).isNotNull();
        assertThat(ofProjection.name()).isEqualTo(SubscriptionName.of(projection));
        assertThat(ofProjection.kind()).isEqualTo(SubscriptionStatus.Kind.PROJECTION);
        assertThat(ofProjection.checkpoint()).isGreaterThanOrEqualTo(head);
        assertThat(ofProjection.owner()).isEqualTo(daemon.owner());
        assertThat(ofProjection.leaseExpiresAt()).isNotNull();
        assertThat(ofProjection.lastError()).isNull();
        assertThat(bus.status(projection))
                .as("a projection is not one of the bus's subscriptions")
                .isEmpty();
        assertThat(bus.status(unique("none-"))).isEqualTo(Optional.empty());
    }

    @Test
    void dead_letters_are_listed_retried_and_discarded_through_their_own_type() throws Exception {
        String ns = unique("dead");
        PostgresEventBus bus = bus(b -> b.retryAttempts(1).retryDelay(Duration.ofMillis(10)));
        String name = unique("sub-");
        CountDownLatch healed = new CountDownLatch(1);
        Deliveries handled = new Deliveries();
        bus.subscribeDurable(name, ns + ".*", event -> {
            if (healed.getCount() > 0) {
                throw new IllegalStateException("not yet");
            }
            handled.handle(event);
        });
        bus.emit(NewEvent.of(ns + ".a", "{}"));
        bus.emit(NewEvent.of(ns + ".b", "{}"));
        DeadLetters deadLetters = bus.deadLetters();
        await("two dead letters")
                .atMost(WAIT)
                .until(() -> deadLetters.list(name, 10).size() == 2);
        List<DeadLetter> letters = deadLetters.list(name, 10);

        boolean discarded = deadLetters.discard(letters.get(0).id());
        healed.countDown();
        boolean retried = deadLetters.retry(letters.get(1).id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(letters).extracting(DeadLetter::type).containsExactly(ns + ".a", ns + ".b");
        assertThat(letters).allSatisfy(letter -> assertThat(letter.attempts()).isEqualTo(2));
        assertThat(discarded).isTrue();
        assertThat(retried).isTrue();
        assertThat(handled.types()).containsExactly(ns + ".b");
        assertThat(deadLetters.list(name, 10)).isEmpty();
        assertThat(bus.deadLetters(name, 10)).isEmpty();
    }

    @Test
    void a_zombie_owner_with_a_stale_fencing_token_can_neither_dead_letter_nor_checkpoint() throws Exception {
        String ns = unique("zombie");
        PostgresEventBus bus = bus(b -> b.retryAttempts(0).leaseDuration(Duration.ofSeconds(30)));
        String name = unique("sub-");
        String table = database.schema() + ".subscriptions";
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DurableSubscription zombie = bus.subscribeDurable(name, ns + ".*", event -> {
            entered.countDown();
            release.await();
            throw new IllegalStateException("fails after its lease was taken over");
        });
        bus.emit(NewEvent.of(ns + ".poison", "{}"));
        assertThat(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        jdbi.useHandle(handle -> handle.execute(
                "UPDATE " + table + " SET owner = 'usurper', fencing_token ="
                        + " fencing_token + 1, lease_expires_at = now() + interval '1 hour' WHERE name = ?",
                name));

        release.countDown();
        await("the zombie notices it lost the lease").atMost(WAIT).until(() -> !zombie.isActive());

        assertThat(queryLong("SELECT count(*) FROM " + database.schema() + ".dead_letters WHERE subscription = '" + name
                        + "'"))
                .isZero();
        assertThat(queryLong("SELECT position FROM " + table + " WHERE name = '" + name + "'"))
                .isZero();
        String owner =
                jdbi.withHandle(handle -> handle.createQuery("SELECT owner FROM " + table + " WHERE name = :name")
                        .bind("name", name)
                        .mapTo(String.class)
                        .one());
        Optional<String> lastError =
                jdbi.withHandle(handle -> handle.createQuery("SELECT last_error FROM " + table + " WHERE name = :name")
                        .bind("name", name)
                        .mapTo(String.class)
                        .findOne());
        assertThat(owner).isEqualTo("usurper");
        assertThat(lastError)
                .as("a deposed owner's failure is not recorded as the subscription's")
                .isEmpty();
    }
}
