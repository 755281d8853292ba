package io.nexus.examples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The module rules of STYLE.md, checked on the compiled classes of every module this one sees. */
class ArchitectureTest {
    private static final JavaClasses NEXUS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.nexus");

    @Test
    void the_rules_see_the_classes_of_every_module() {
        assertThat(NEXUS.contain("io.nexus.eventstore.core.EventStore")).isTrue();
        assertThat(NEXUS.contain("io.nexus.eventstore.jdbc.internal.Appender")).isTrue();
        assertThat(NEXUS.contain("io.nexus.migrations.EventStoreSchema")).isTrue();
    }

    @Test
    void core_knows_no_sql_jdbi_or_jackson() {
        noClasses().that().resideInAPackage("io.nexus.eventstore.core..")
                .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..", "org.jdbi..", "com.fasterxml..")
                .check(NEXUS);
    }

    @Test
    void no_module_uses_another_modules_internal_package() {
        noClasses().that().resideOutsideOfPackage("io.nexus.eventstore.jdbc..")
                .should().dependOnClassesThat().resideInAPackage("io.nexus.eventstore.jdbc.internal..")
                .check(NEXUS);
        noClasses().that().resideOutsideOfPackage("io.nexus.eventstore.core..")
                .should().dependOnClassesThat().resideInAPackage("io.nexus.eventstore.core.internal..")
                .check(NEXUS);
        noClasses().that().resideOutsideOfPackage("io.nexus.eventbus..")
                .should().dependOnClassesThat().resideInAPackage("io.nexus.eventbus.internal..")
                .check(NEXUS);
    }

    @Test
    void the_store_knows_nothing_of_its_subscribers() {
        noClasses().that().resideInAnyPackage("io.nexus.eventstore..", "io.nexus.migrations..")
                .should().dependOnClassesThat().resideInAPackage("io.nexus.eventbus..")
                .check(NEXUS);
    }
}
