package io.nexus.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import io.nexus.cli.Nexus;
import io.nexus.eventbus.EventBus;
import io.nexus.eventbus.rabbitmq.RabbitMqRelay;
import io.nexus.eventbus.redis.RedisRelay;
import io.nexus.eventsourcing.AggregateRepository;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import io.nexus.eventstore.json.JacksonEventSerializer;
import io.nexus.examples.BankAccountExample;
import io.nexus.examples.boot.OrderApplication;
import io.nexus.fixtures.AggregateFixture;
import io.nexus.migrations.EventStoreSchema;
import io.nexus.sagas.SagaWorker;
import io.nexus.spring.boot.NexusAutoConfiguration;
import io.nexus.testing.PostgresTest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The dependency rules of doc/design.md, checked on the compiled main classes of every module. */
class ArchitectureTest {
    private static final JavaClasses NEXUS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.nexus");

    /**
     * Each module's package root. A class belongs to the module with the longest root that contains it: the relays
     * live below the bus's root, so {@code io.nexus.eventbus.redis} is not part of {@code eventbus-projections}.
     */
    static final Map<String, String> MODULE_BY_ROOT = Map.ofEntries(
            Map.entry("io.nexus.eventstore.core", "eventstore-core"),
            Map.entry("io.nexus.eventstore.jdbc", "eventstore-jdbc"),
            Map.entry("io.nexus.eventstore.json", "eventstore-json"),
            Map.entry("io.nexus.eventsourcing", "eventsourcing"),
            Map.entry("io.nexus.fixtures", "test-fixtures"),
            Map.entry("io.nexus.eventbus", "eventbus-projections"),
            Map.entry("io.nexus.eventbus.redis", "eventbus-redis"),
            Map.entry("io.nexus.eventbus.rabbitmq", "eventbus-rabbitmq"),
            Map.entry("io.nexus.migrations", "migrations"),
            Map.entry("io.nexus.sagas", "sagas"),
            Map.entry("io.nexus.cli", "cli"),
            Map.entry("io.nexus.testing", "test-support"),
            Map.entry("io.nexus.examples", "examples"),
            Map.entry("io.nexus.examples.boot", "examples-spring-boot"),
            Map.entry("io.nexus.spring.boot", "spring-boot-starter"));

    /** Packages, with each {@code internal} package counted as part of the package it implements. */
    private static final SliceAssignment PACKAGES_WITH_THEIR_INTERNALS = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass type) {
            String packageName = type.getPackageName();
            if (!packageName.startsWith("io.nexus.")) {
                return SliceIdentifier.ignore();
            }
            int internal = ("." + packageName + ".").indexOf(".internal.");
            return SliceIdentifier.of(internal < 0 ? packageName : packageName.substring(0, internal - 1));
        }

        @Override
        public String getDescription() {
            return "io.nexus packages, each with its internal packages";
        }
    };

    @Test
    void the_rules_see_the_classes_of_every_module() {
        List<Class<?>> onePerModule = List.of(
                EventStore.class,
                PostgresEventStore.class,
                JacksonEventSerializer.class,
                AggregateRepository.class,
                AggregateFixture.class,
                EventBus.class,
                RedisRelay.class,
                RabbitMqRelay.class,
                SagaWorker.class,
                Nexus.class,
                EventStoreSchema.class,
                PostgresTest.class,
                BankAccountExample.class,
                NexusAutoConfiguration.class,
                OrderApplication.class);

        assertThat(onePerModule)
                .allSatisfy(type ->
                        assertThat(NEXUS.contain(type)).as(type.getName()).isTrue());
        assertThat(onePerModule.stream()
                        .map(type -> moduleOf(type.getPackageName()))
                        .flatMap(Optional::stream))
                .containsExactlyInAnyOrderElementsOf(MODULE_BY_ROOT.values());
    }

    @Test
    void every_class_is_attributed_to_the_module_it_was_compiled_in() {
        List<String> misattributed = new ArrayList<>();
        for (JavaClass type : NEXUS) {
            String location =
                    type.getSource().map(source -> source.getUri().toString()).orElse("an unknown location");
            Optional<String> module = moduleOf(type.getPackageName());
            boolean fromThatModule = module.map(
                            m -> location.contains("/" + m + "/target/") || location.contains("/nexus-" + m + "-"))
                    .orElse(false);
            if (!fromThatModule) {
                misattributed.add(type.getName() + " comes from " + location + " but its package maps to "
                        + module.orElse("no module") + "; add its module's package root to MODULE_BY_ROOT");
            }
        }

        assertThat(misattributed).isEmpty();
    }

    @Test
    void core_knows_no_database_and_no_jackson() {
        noClasses()
                .that()
                .resideInAPackage("io.nexus.eventstore.core..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.sql..",
                        "javax.sql..",
                        "org.postgresql..",
                        "org.jdbi..",
                        "com.zaxxer..",
                        "org.flywaydb..",
                        "com.fasterxml.jackson..")
                .check(NEXUS);
    }

    @Test
    void aggregates_and_their_fixtures_know_no_database_and_no_subscribers() {
        noClasses()
                .that()
                .resideInAnyPackage("io.nexus.eventsourcing..", "io.nexus.fixtures..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "java.sql..",
                        "javax.sql..",
                        "org.postgresql..",
                        "org.jdbi..",
                        "com.zaxxer..",
                        "com.fasterxml.jackson..",
                        "io.nexus.eventstore.jdbc..",
                        "io.nexus.eventbus..")
                .check(NEXUS);
    }

    @Test
    void the_store_knows_nothing_of_its_subscribers() {
        noClasses()
                .that()
                .resideInAnyPackage("io.nexus.eventstore..", "io.nexus.migrations..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.nexus.eventbus..")
                .check(NEXUS);
    }

    @Test
    void relays_do_not_use_the_postgresql_store() {
        noClasses()
                .that()
                .resideInAnyPackage("io.nexus.eventbus.redis..", "io.nexus.eventbus.rabbitmq..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.nexus.eventstore.jdbc..")
                .check(NEXUS);
    }

    @Test
    void no_module_uses_another_modules_internal_package() {
        classes()
                .that()
                .resideInAPackage("io.nexus..")
                .should(useNoInternalPackageOfAnotherModule())
                .check(NEXUS);
    }

    /**
     * Slices by package, except that an {@code internal} package counts with the package whose implementation it is:
     * the API creates its implementation and the implementation implements the API, so that pair always depends both
     * ways. Any other cycle, between modules or between packages of one module, fails.
     */
    @Test
    void no_package_takes_part_in_a_cycle() {
        slices().assignedFrom(PACKAGES_WITH_THEIR_INTERNALS)
                .should()
                .beFreeOfCycles()
                .check(NEXUS);
    }

    private static ArchCondition<JavaClass> useNoInternalPackageOfAnotherModule() {
        return new ArchCondition<>("use no internal package of another module") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                Optional<String> originModule = moduleOf(origin.getPackageName());
                for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
                    String targetPackage =
                            dependency.getTargetClass().getBaseComponentType().getPackageName();
                    boolean internal = ("." + targetPackage + ".").contains(".internal.");
                    if (internal
                            && targetPackage.startsWith("io.nexus.")
                            && !moduleOf(targetPackage).equals(originModule)) {
                        events.add(SimpleConditionEvent.violated(
                                dependency,
                                dependency.getDescription()
                                        + " (module " + originModule.orElse("unknown") + " uses an internal package of "
                                        + moduleOf(targetPackage).orElse("an unknown module") + ")"));
                    }
                }
            }
        };
    }

    private static Optional<String> moduleOf(String packageName) {
        return MODULE_BY_ROOT.entrySet().stream()
                .filter(entry -> packageName.equals(entry.getKey()) || packageName.startsWith(entry.getKey() + "."))
                .max(Comparator.comparingInt(entry -> entry.getKey().length()))
                .map(Map.Entry::getValue);
    }
}
