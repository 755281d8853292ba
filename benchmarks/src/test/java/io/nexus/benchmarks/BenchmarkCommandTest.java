package io.nexus.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nexus.testing.PostgresTest;
import io.nexus.testing.TestDatabase;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@PostgresTest
class BenchmarkCommandTest {
    private final TestDatabase database;

    BenchmarkCommandTest(TestDatabase database) {
        this.database = database;
    }

    @Test
    void the_quick_run_measures_every_workload_on_both_sides_and_writes_json(@TempDir Path directory) throws Exception {
        Path output = directory.resolve("quick.json");

        int exitCode = new CommandLine(new BenchmarkCommand())
                .execute("--quick", "--url", database.jdbcUrl(), "--output", output.toString());

        assertThat(exitCode).isZero();
        JsonNode run = new ObjectMapper().readTree(output.toFile());
        assertThat(run.get("mode").asText()).isEqualTo("quick");
        assertThat(run.get("workloads")).hasSize(Workloads.all().size());
        for (JsonNode workload : run.get("workloads")) {
            assertThat(workload.get("sides")).hasSize(2);
            assertThat(workload.get("ratio").asDouble()).isPositive();
            for (JsonNode side : workload.get("sides")) {
                assertThat(side.get("eventsPerRound").asLong()).isPositive();
                assertThat(side.get("medianPerSecond").asDouble()).isPositive();
            }
        }
    }
}
