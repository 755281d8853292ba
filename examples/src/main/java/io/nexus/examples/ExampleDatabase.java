package io.nexus.examples;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Where the design's examples run: an embedded PostgreSQL 17 (nothing to install) unless {@code --jdbc-url <url>}
 * (or {@code NEXUS_JDBC_URL}) names another. The other arguments go to the example.
 */
final class ExampleDatabase {
    /** One example's body: what it does with the database, the remaining arguments and the output. */
    interface Body {
        void run(DataSource dataSource, String jdbcUrl, List<String> args, PrintStream out) throws Exception;
    }

    private ExampleDatabase() {}

    static void main(String[] args, Body body) throws Exception {
        List<String> rest = new ArrayList<>(List.of(args));
        String url = System.getenv("NEXUS_JDBC_URL");
        int flag = rest.indexOf("--jdbc-url");
        if (flag >= 0) {
            if (flag + 1 >= rest.size()) {
                throw new IllegalArgumentException(
                        "--jdbc-url needs a value, such as" + " jdbc:postgresql://localhost:5432/app?user=me");
            }
            url = rest.get(flag + 1);
            rest.subList(flag, flag + 2).clear();
        }
        for (String arg : rest) {
            // A bare URL would otherwise reach an example that ignores its arguments and run on the embedded database.
            if (arg.startsWith("jdbc:")) {
                throw new IllegalArgumentException("a JDBC URL goes after --jdbc-url, got a bare argument: " + arg
                        + " (expected --jdbc-url " + arg + ")");
            }
        }
        if (url == null || url.isBlank()) {
            System.out.println("Starting an embedded PostgreSQL 17 (give --jdbc-url to use your own) ...");
            try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
                body.run(postgres.getPostgresDatabase(), postgres.getJdbcUrl("postgres", "postgres"), rest, System.out);
            }
        } else {
            try (HikariDataSource dataSource = new HikariDataSource()) {
                dataSource.setJdbcUrl(url);
                body.run(dataSource, url, rest, System.out);
            }
        }
    }
}
