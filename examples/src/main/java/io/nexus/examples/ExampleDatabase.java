package io.nexus.examples;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import javax.sql.DataSource;

/** Where an example's {@code main} runs: the JDBC URL given (argument or {@code NEXUS_JDBC_URL}), else an embedded PostgreSQL 17. */
final class ExampleDatabase {
    /** An example's body, on the database chosen. */
    @FunctionalInterface
    interface Program {
        void run(DataSource dataSource) throws Exception;
    }

    private ExampleDatabase() {}

    static void run(String[] args, Program program) throws Exception {
        String url = args.length > 0 ? args[0] : System.getenv("NEXUS_JDBC_URL");
        if (url == null || url.isBlank()) {
            System.out.println("Starting an embedded PostgreSQL 17 (pass a JDBC URL to use your own) ...");
            try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
                program.run(postgres.getPostgresDatabase());
            }
        } else {
            try (HikariDataSource dataSource = new HikariDataSource()) {
                dataSource.setJdbcUrl(url);
                program.run(dataSource);
            }
        }
    }
}
