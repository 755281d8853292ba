package io.nexus.eventstore.jdbc.internal;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;
import org.postgresql.ds.common.BaseDataSource;

/**
 * Where a {@link DataSource} connects, for error messages: {@code database 'app' at db.example:5432}. Only host, port
 * and database name are ever shown, never the URL, so a password in it cannot leak into a message or a log.
 */
public final class DatabaseLocation {
    /** Said when the DataSource does not tell where it connects and no connection was had yet. */
    public static final String UNKNOWN = "the DataSource's database";

    private volatile @Nullable String described;

    private DatabaseLocation(@Nullable String described) {
        this.described = described;
    }

    /**
     * The location of {@code dataSource}, read from its configuration: HikariCP's JDBC URL (or the DataSource it
     * wraps), pgjdbc's own DataSources, or any DataSource that unwraps to one of them.
     */
    public static DatabaseLocation of(DataSource dataSource) {
        return new DatabaseLocation(describe(dataSource));
    }

    /** The location as a phrase, {@value #UNKNOWN} when not known. */
    public String describe() {
        String known = described;
        return known == null ? UNKNOWN : known;
    }

    /** Learns the location from a connection the DataSource gave, if its configuration did not tell it. */
    public void learnFrom(Connection connection) {
        if (described != null) {
            return;
        }
        try {
            described = fromUrl(connection.getMetaData().getURL());
        } catch (SQLException | RuntimeException e) {
            // only a nicer message was at stake; the next connection tries again
        }
    }

    private static @Nullable String describe(DataSource dataSource) {
        try {
            if (dataSource instanceof HikariDataSource hikari) {
                if (hikari.getJdbcUrl() != null) {
                    return fromUrl(hikari.getJdbcUrl());
                }
                DataSource wrapped = hikari.getDataSource();
                if (wrapped != null && wrapped != dataSource) {
                    return describe(wrapped);
                }
            }
            if (!(dataSource instanceof HikariDataSource) && dataSource.isWrapperFor(HikariDataSource.class)) {
                return describe(dataSource.unwrap(HikariDataSource.class)); // e.g. AutoCommitDataSource over a pool
            }
            if (dataSource instanceof BaseDataSource pg) {
                return fromUrl(pg.getUrl());
            }
            if (dataSource.isWrapperFor(BaseDataSource.class)) {
                return fromUrl(dataSource.unwrap(BaseDataSource.class).getUrl());
            }
        } catch (SQLException | RuntimeException e) {
            // a DataSource that cannot say where it connects is described as UNKNOWN
        }
        return null;
    }

    /** {@code database 'db' at host:port[,host:port…]} for a {@code jdbc:postgresql:} URL, else null. */
    static @Nullable String fromUrl(@Nullable String jdbcUrl) {
        if (jdbcUrl == null) {
            return null;
        }
        // pgjdbc's own parser: it knows the defaults (localhost, 5432, the user's name) and multi-host URLs.
        Properties parsed = Driver.parseURL(jdbcUrl, null);
        if (parsed == null) {
            return null;
        }
        String[] hosts = parsed.getProperty("PGHOST", "localhost").split(",", -1);
        String[] ports = parsed.getProperty("PGPORT", "5432").split(",", -1);
        StringBuilder at = new StringBuilder();
        for (int i = 0; i < hosts.length; i++) {
            if (i > 0) {
                at.append(',');
            }
            at.append(hosts[i]).append(':').append(i < ports.length ? ports[i] : ports[ports.length - 1]);
        }
        String database = parsed.getProperty("PGDBNAME", "");
        return "database '" + database + "' at " + at;
    }
}
