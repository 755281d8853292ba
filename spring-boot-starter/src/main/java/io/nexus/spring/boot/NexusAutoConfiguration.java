package io.nexus.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.EventBuses;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.PostgresConfig;
import io.nexus.eventbus.PostgresEventBus;
import io.nexus.eventbus.Projection;
import io.nexus.eventstore.core.EventTypeRegistry;
import io.nexus.eventstore.core.spi.EventSerializer;
import io.nexus.eventstore.jdbc.EventRetention;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.jdbc.RetentionPolicy;
import io.nexus.migrations.EventStoreSchema;
import io.nexus.sagas.Saga;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Nexus in a Spring Boot application. From the {@code nexus.*} properties ({@link NexusProperties}) and the
 * application's single {@code DataSource}, it declares, each only when the application has not declared its own bean
 * of that type:
 *
 * <ul>
 *   <li>{@link NexusConfig}: the properties read by the YAML configuration's reader;
 *   <li>with {@code nexus.migrate=true}, the schema migration ({@link EventStoreSchema#migrate}, its own history
 *       table {@code <schema>.nexus_schema_history}, so it coexists with the application's Flyway), run before the
 *       store is built;
 *   <li>{@link PostgresEventStore} on the application's {@code DataSource}, with the application's {@link
 *       EventTypeRegistry} and {@link EventSerializer} beans if it has them;
 *   <li>{@link TransactionalAppender}: appends that join the caller's {@code @Transactional} method;
 *   <li>with {@code nexus.event-retention-days} above 0, {@link NexusRetention}: the retention job, with the schema
 *       owner's role ({@code nexus.postgresql.owner-url}, else the application's pool if its role may delete events;
 *       otherwise the start fails naming the key), every {@code nexus.retention-interval} (default 1h);
 *   <li>{@link EventBus}: a {@link PostgresEventBus} on the store ({@code nexus.backend=postgres}, the default), an
 *       in-process {@code MemoryEventBus} ({@code memory}), or a {@code BrokerEventBus} on Redis or RabbitMQ ({@code
 *       redis}, {@code rabbitmq}: the transport of {@code nexus-eventbus-redis} or {@code -rabbitmq}, found as the
 *       YAML path finds it; with {@code persist_events} on the store), its meters in the application's {@link
 *       MeterRegistry};
 *   <li>{@link NexusWorkers}: every bean's {@code @EventHandler} methods subscribed, every {@link Projection} bean run
 *       by one projection daemon, every {@link Saga} bean by a saga worker, in the application's lifecycle;
 *   <li>with Actuator: {@link NexusHealthIndicator} ({@code nexus}) and {@link NexusEndpoint} ({@code nexus}).
 * </ul>
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
            "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
            // Spring Boot 3.5's names of the same: without them the store would be configured before the DataSource
            "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
            "org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration",
            "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration"
        })
@EnableConfigurationProperties(NexusProperties.class)
public final class NexusAutoConfiguration {
    /** The migration run before the store is built; a bean so that the store can depend on it. */
    static final class SchemaMigration {
        SchemaMigration(DataSource dataSource, String schema) {
            EventStoreSchema.migrate(dataSource, schema);
        }
    }

    NexusAutoConfiguration() {}

    /**
     * The configuration of the {@code nexus.*} properties.
     *
     * @param properties the bound properties
     * @return the configuration
     * @throws IllegalArgumentException naming a key whose value is wrong, or a setting that cannot run
     */
    @Bean
    @ConditionalOnMissingBean
    public NexusConfig nexusConfig(NexusProperties properties) {
        NexusConfig config = properties.toConfig();
        return config;
    }

    /**
     * Collects the beans with {@code @EventHandler} methods.
     *
     * @return the collector
     */
    @Bean
    static EventHandlerBeans nexusEventHandlerBeans() {
        return new EventHandlerBeans();
    }

    /** The store and what needs it: present when the application has exactly one {@code DataSource}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnSingleCandidate(DataSource.class)
    static class Store {
        @Bean
        @ConditionalOnProperty(prefix = "nexus", name = "migrate", havingValue = "true")
        SchemaMigration nexusSchemaMigration(DataSource dataSource, NexusConfig config, NexusProperties properties) {
            return new SchemaMigration(dataSource, schema(config, properties));
        }

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        PostgresEventStore nexusEventStore(
                DataSource dataSource,
                NexusConfig config,
                NexusProperties properties,
                ObjectProvider<SchemaMigration> migration,
                ObjectProvider<EventTypeRegistry> types,
                ObjectProvider<EventSerializer> serializer) {
            migration.ifAvailable(done -> {}); // the schema is migrated before the store is built
            PostgresEventStore.Builder builder =
                    PostgresEventStore.builder(dataSource).schema(schema(config, properties));
            if (config.postgres() != null) {
                builder.notifications(config.postgres().headNotifications());
            }
            types.ifAvailable(builder::types);
            serializer.ifAvailable(builder::serializer);
            return builder.build();
        }

        @Bean
        @ConditionalOnMissingBean
        TransactionalAppender nexusTransactionalAppender(PostgresEventStore store, DataSource dataSource) {
            return new TransactionalAppender(store, dataSource);
        }

        @Bean
        @Conditional(RetentionEnabled.class)
        @ConditionalOnMissingBean
        NexusRetention nexusRetention(
                PostgresEventStore store, DataSource dataSource, NexusConfig config, NexusProperties properties) {
            NexusProperties.Postgresql postgresql = properties.getPostgresql();
            String ownerUrl = postgresql.getOwnerUrl();
            DataSource owner = dataSource;
            if (ownerUrl != null) {
                // opened once an hour (or per nexus.retention-interval): a pool would hold idle owner connections
                DriverManagerDataSource ownerConnections = new DriverManagerDataSource(ownerUrl);
                ownerConnections.setUsername(postgresql.getOwnerUser());
                ownerConnections.setPassword(postgresql.getOwnerPassword());
                owner = ownerConnections;
            }
            EventRetention job = EventRetention.create(owner, store.schema());
            if (!job.mayRemoveEvents()) {
                throw new IllegalStateException("nexus.event-retention-days is " + config.retentionDays()
                        + ", but the role of "
                        + (ownerUrl != null
                                ? "nexus.postgresql.owner-url"
                                : "the application's DataSource (nexus.postgresql.owner-url is not set)")
                        + " may not delete events in schema " + store.schema() + ": set nexus.postgresql.owner-url"
                        + " (and owner-user, owner-password) to a connection with the schema owner's role, or set"
                        + " nexus.event-retention-days=0");
            }
            return new NexusRetention(
                    job,
                    RetentionPolicy.maxAge(Duration.ofDays(config.retentionDays())),
                    properties.getRetentionInterval());
        }

        @Bean
        StoreProbe nexusStoreProbe(PostgresEventStore store, DataSource dataSource) {
            return new StoreProbe(store, dataSource);
        }
    }

    /**
     * The bus: on the store for {@code postgres}, in-process for {@code memory}.
     *
     * @param config the configuration
     * @param store the store, for {@code postgres}
     * @param dataSource its pool
     * @param meterRegistry the application's registry, if it has one
     * @return the started bus, closed with the context
     * @throws IllegalStateException for {@code postgres} without a store (no single {@code DataSource})
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public EventBus nexusEventBus(
            NexusConfig config,
            ObjectProvider<PostgresEventStore> store,
            ObjectProvider<DataSource> dataSource,
            ObjectProvider<MeterRegistry> meterRegistry) {
        @Nullable MeterRegistry meters = config.bus().metricsEnabled() ? meterRegistry.getIfUnique() : null;
        if (config.backend() == NexusConfig.Backend.MEMORY) {
            return EventBuses.create(config, meters);
        }
        boolean broker =
                config.backend() == NexusConfig.Backend.REDIS || config.backend() == NexusConfig.Backend.RABBITMQ;
        PostgresEventStore postgresStore = store.getIfAvailable();
        if (postgresStore == null) {
            if (broker && !config.persistence()) {
                return EventBuses.createBroker(config, meters);
            }
            throw new IllegalStateException("nexus.backend is "
                    + config.backend().key() + (broker ? " with persist_events, which needs" : ", which needs")
                    + " the application's DataSource:"
                    + " there is no single DataSource bean (add spring-boot-starter-jdbc and spring.datasource.url),"
                    + " or set nexus.backend=memory");
        }
        if (broker) {
            // persist_events appends to the store on the application's pool, as the YAML path's own pool would
            return EventBuses.createBroker(config, postgresStore, dataSource.getObject(), meters);
        }
        PostgresEventBus.Builder builder = PostgresEventBus.builder(postgresStore, dataSource.getObject())
                .config(config.bus())
                .tracing(config.tracing());
        if (meters != null) {
            builder.meterRegistry(meters);
        }
        return builder.build();
    }

    /**
     * The handlers, projections and sagas declared as beans, run in the application's lifecycle.
     *
     * @param bus the bus
     * @param handlers the beans with {@code @EventHandler} methods
     * @param store the store, if there is one
     * @param dataSource its pool
     * @param projections the projection beans
     * @param sagas the saga beans
     * @param config the configuration
     * @param meterRegistry the application's registry, if it has one
     * @return the workers, started by the context
     */
    @Bean
    @ConditionalOnMissingBean
    public NexusWorkers nexusWorkers(
            EventBus bus,
            EventHandlerBeans handlers,
            ObjectProvider<PostgresEventStore> store,
            ObjectProvider<DataSource> dataSource,
            ObjectProvider<Projection> projections,
            ObjectProvider<Saga<?>> sagas,
            NexusConfig config,
            ObjectProvider<MeterRegistry> meterRegistry) {
        PostgresEventStore postgresStore = store.getIfAvailable();
        return new NexusWorkers(
                bus,
                handlers::beans,
                postgresStore,
                postgresStore == null ? null : dataSource.getIfUnique(),
                () -> projections.orderedStream().toList(),
                () -> List.copyOf(sagas.orderedStream().toList()),
                config.bus(),
                config.bus().metricsEnabled() ? meterRegistry.getIfUnique() : null);
    }

    private static String schema(NexusConfig config, NexusProperties properties) {
        if (config.postgres() != null) {
            return config.postgres().schema();
        }
        String schema = properties.getPostgresql().getSchema();
        return schema != null ? schema : PostgresConfig.DEFAULT_SCHEMA;
    }

    /** Whether {@code nexus.event-retention-days} (in any relaxed spelling) is above 0. */
    static final class RetentionEnabled implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return Binder.get(context.getEnvironment())
                            .bind("nexus.event-retention-days", Integer.class)
                            .orElse(0)
                    > 0;
        }
    }

    /** The Actuator health indicator {@code nexus}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnSingleCandidate(DataSource.class)
    @ConditionalOnEnabledHealthIndicator("nexus")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "nexusHealthIndicator")
        NexusHealthIndicator nexusHealthIndicator(StoreProbe probe, NexusProperties properties) {
            return new NexusHealthIndicator(
                    probe,
                    properties.getHealth().getSequencerStuckAfter(),
                    properties.getHealth().getMaxLag());
        }
    }

    /** The Actuator endpoint {@code nexus}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(Endpoint.class)
    @ConditionalOnSingleCandidate(DataSource.class)
    static class Actuator {
        @Bean
        @ConditionalOnMissingBean
        NexusEndpoint nexusEndpoint(StoreProbe probe) {
            return new NexusEndpoint(probe);
        }
    }
}
