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
    void the_quick_run_measures_every_workload_and_writes_json(@TempDir Path directory) throws Exception {
        Path output = directory.resolve("quick.json");

        int exitCode = new CommandLine(new BenchmarkCommand())
                .execute("--quick", "--url", database.jdbcUrl(), "--output", output.toString());

        assertThat(exitCode).isZero();
        JsonNode run = new ObjectMapper().readTree(output.toFile());
        assertThat(run.get("mode").asText()).isEqualTo("quick");
        assertThat(run.get("workloads")).hasSize(Workloads.all().size());
        for (JsonNode workload : run.get("workloads")) {
            if (workload.get("latencyTargetMillis").isNumber()) {
                // commit → handler: one side, latency percentiles, met or not
                assertThat(workload.get("sides")).hasSize(1);
                JsonNode latency = workload.get("sides").get(0).get("latency");
                assertThat(latency.get("samples").asInt()).isPositive();
                assertThat(latency.get("p99Millis").asDouble())
                        .isPositive()
                        .isGreaterThanOrEqualTo(latency.get("p50Millis").asDouble());
                assertThat(workload.get("met").isBoolean()).isTrue();
            } else if (workload.get("comparedTo").isTextual()) {
                // projection rebuild: one side, shown beside catch-up
                assertThat(workload.get("sides")).hasSize(1);
                assertThat(workload.get("ratio").asDouble()).isPositive();
            } else {
                assertThat(workload.get("sides")).hasSize(2);
                assertThat(workload.get("ratio").asDouble()).isPositive();
            }
            for (JsonNode side : workload.get("sides")) {
                assertThat(side.get("eventsPerRound").asLong()).isPositive();
                assertThat(side.get("medianPerSecond").asDouble()).isPositive();
            }
        }
    }
}
