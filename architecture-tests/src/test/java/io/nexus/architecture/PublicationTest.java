package io.nexus.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpressionException;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What a published release needs, read from the POMs of the reactor (the root POM's module list), so that a module added
 * later cannot be forgotten: it is in nexus-bom when published, it is named for its directory, and its jar names an
 * {@code Automatic-Module-Name} that is its package root.
 */
class PublicationTest {
    /** Surefire runs in this module's directory; the reactor's root is its parent. */
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private static final Pom PARENT = Pom.read(ROOT);
    private static final Pom BOM = Pom.read(ROOT.resolve("bom"));
    private static final List<Pom> MODULES = PARENT.texts("/project/modules/module").stream()
            .filter(module -> !module.equals("bom"))
            .map(module -> Pom.read(ROOT.resolve(module)))
            .toList();

    @Test
    void the_reactor_is_read_from_the_root_pom() {
        assertThat(PARENT.text("/project/artifactId")).isEqualTo("nexus-parent");
        assertThat(MODULES).extracting(Pom::directory).contains("eventstore-core", "cli", "examples");
    }

    @Test
    void every_published_module_of_the_reactor_and_nothing_else_is_in_the_bom() {
        List<String> published =
                MODULES.stream().filter(Pom::published).map(Pom::artifactId).toList();

        assertThat(BOM.texts("/project/dependencyManagement/dependencies/dependency[not(type)]/artifactId"))
                .as("nexus-bom's managed artifacts; a published module is missing or an unpublished one is listed")
                .containsExactlyInAnyOrderElementsOf(published);
        assertThat(BOM.texts("/project/dependencyManagement/dependencies/dependency/groupId"))
                .containsOnly("io.nexus");
        assertThat(BOM.texts("/project/dependencyManagement/dependencies/dependency/version"))
                .containsOnly("${project.version}");
        assertThat(BOM.texts("/project/dependencyManagement/dependencies/dependency/scope"))
                .isEmpty();
        assertThat(BOM.texts("/project/dependencyManagement/dependencies/dependency/type"))
                .containsOnly("test-jar");
    }

    @Test
    void a_test_jar_in_the_bom_is_one_that_a_published_module_builds() {
        for (String artifactId :
                BOM.texts("/project/dependencyManagement/dependencies/dependency[type='test-jar']/artifactId")) {
            Pom module = MODULES.stream()
                    .filter(candidate -> candidate.artifactId().equals(artifactId))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(
                            "nexus-bom manages the test-jar of " + artifactId + ", which is no module of the reactor"));

            assertThat(module.published()).as("%s is published", module).isTrue();
            assertThat(module.texts("/project/build/plugins/plugin[artifactId='maven-jar-plugin']//goal"))
                    .as("%s builds a test-jar", module)
                    .contains("test-jar");
        }
    }

    @Test
    void the_bom_has_no_parent_so_importing_it_manages_no_third_party_version() {
        assertThat(BOM.texts("/project/parent")).isEmpty();
        assertThat(BOM.text("/project/packaging")).isEqualTo("pom");
        assertThat(BOM.artifactId()).isEqualTo("nexus-bom");
    }

    @Test
    void the_bom_repeats_the_parents_version_metadata_and_release_plugins() {
        for (String element : List.of(
                "groupId", "version", "url", "inceptionYear", "licenses", "developers", "scm", "issueManagement")) {
            assertThat(BOM.text("/project/" + element))
                    .as("nexus-bom's <%s>, which must equal the parent's", element)
                    .isNotBlank()
                    .isEqualTo(PARENT.text("/project/" + element));
        }
        for (String plugin : List.of("maven-gpg-plugin", "central-publishing-maven-plugin", "spotless-maven-plugin")) {
            assertThat(BOM.text("//plugin[artifactId='" + plugin + "']/version"))
                    .as("the version of %s in nexus-bom", plugin)
                    .isEqualTo(PARENT.text(
                            "/project/build/pluginManagement/plugins/plugin[artifactId='" + plugin + "']/version"));
        }
    }

    @Test
    void the_project_is_licensed_apache_2_and_ships_the_license_text() throws IOException {
        assertThat(PARENT.text("/project/licenses/license/name")).isEqualTo("Apache-2.0");
        assertThat(Files.readString(ROOT.resolve("LICENSE"))).contains("Apache License", "Version 2.0, January 2004");
    }

    @Test
    void every_module_is_named_for_its_directory_and_says_what_it_is_in_its_own_words() {
        for (Pom module : MODULES) {
            assertThat(module.artifactId()).as("artifactId of %s", module).isEqualTo("nexus-" + module.directory());
            assertThat(module.text("/project/name")).as("<name> of %s", module).isNotBlank();
            assertThat(module.text("/project/description"))
                    .as("<description> of %s", module)
                    .isNotBlank();
        }
        assertThat(distinct(MODULES, module -> module.text("/project/name"))).isTrue();
        assertThat(distinct(MODULES, module -> module.text("/project/description")))
                .isTrue();
    }

    @Test
    void every_module_with_main_code_names_its_package_root_as_its_automatic_module_name() {
        Map<String, String> rootByModule = new HashMap<>();
        ArchitectureTest.MODULE_BY_ROOT.forEach((root, module) -> rootByModule.put(module, root));
        List<String> names = new ArrayList<>();

        for (Pom module : MODULES) {
            if (!Files.isDirectory(module.path().resolve("src/main/java"))) {
                continue; // architecture-tests: no jar
            }
            String name = module.text("/project/build/plugins/plugin[artifactId='maven-jar-plugin']"
                    + "/configuration/archive/manifestEntries/Automatic-Module-Name");

            assertThat(name).as("Automatic-Module-Name of %s", module).matches("io\\.nexus(\\.[a-z]+)+");
            assertThat(module.path().resolve("src/main/java/" + name.replace('.', '/')))
                    .as("%s's Automatic-Module-Name %s is a package of its own code", module, name)
                    .isDirectory();
            if (rootByModule.containsKey(module.directory())) {
                assertThat(name)
                        .as("%s, against ArchitectureTest.MODULE_BY_ROOT", module)
                        .isEqualTo(rootByModule.get(module.directory()));
            }
            names.add(name);
        }
        assertThat(names).doesNotHaveDuplicates();
        assertThat(names).contains("io.nexus.eventstore.core", "io.nexus.testing", "io.nexus.examples", "io.nexus.cli");
    }

    @Test
    void the_unpublished_modules_are_the_tools_of_this_repository() {
        assertThat(MODULES.stream().filter(module -> !module.published()).map(Pom::directory))
                .containsExactlyInAnyOrder(
                        "test-support", "examples", "examples-spring-boot", "benchmarks", "architecture-tests");
    }

    private static <T> boolean distinct(List<T> items, Function<T, String> key) {
        return items.stream().map(key).collect(Collectors.toSet()).size() == items.size();
    }

    /** One module's pom.xml, queried by XPath on its raw text (what the module itself declares, not inherited). */
    private record Pom(Path path, Document document) {
        static Pom read(Path directory) {
            try {
                DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
                factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                return new Pom(
                        directory,
                        factory.newDocumentBuilder()
                                .parse(directory.resolve("pom.xml").toFile()));
            } catch (Exception e) {
                throw new IllegalStateException("cannot read " + directory.resolve("pom.xml"), e);
            }
        }

        String directory() {
            return path.getFileName().toString();
        }

        String artifactId() {
            return text("/project/artifactId");
        }

        /** Published unless its own properties set {@code nexus.publish.skip} (the parent's default is false). */
        boolean published() {
            return !text("/project/properties/nexus.publish.skip").equals("true");
        }

        /** The text of the first node the expression selects, whitespace collapsed; empty when none. */
        String text(String xpath) {
            List<String> all = texts(xpath);
            return all.isEmpty() ? "" : all.get(0);
        }

        List<String> texts(String xpath) {
            try {
                NodeList nodes = (NodeList)
                        XPathFactory.newInstance().newXPath().evaluate(xpath, document, XPathConstants.NODESET);
                List<String> texts = new ArrayList<>();
                for (int i = 0; i < nodes.getLength(); i++) {
                    Node node = nodes.item(i);
                    texts.add(node.getTextContent().strip().replaceAll("\\s+", " "));
                }
                return texts;
            } catch (XPathExpressionException e) {
                throw new IllegalArgumentException("bad XPath " + xpath, e);
            }
        }

        @Override
        public String toString() {
            return directory();
        }
    }
}
