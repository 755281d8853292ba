package io.nexus.eventstore.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** How an error message names a database: host, port and name only, never credentials; needs no database. */
class DatabaseLocationTest {

    @Test
    void a_url_is_named_by_host_port_and_database_without_its_credentials() {
        String named = DatabaseLocation.fromUrl("jdbc:postgresql://db.example:6543/orders?user=app&password=hunter2");

        assertThat(named).isEqualTo("database 'orders' at db.example:6543").doesNotContain("hunter2");
    }

    @Test
    void the_drivers_defaults_and_every_host_of_a_multi_host_url_are_named() {
        assertThat(DatabaseLocation.fromUrl("jdbc:postgresql:orders")).isEqualTo("database 'orders' at localhost:5432");
        assertThat(DatabaseLocation.fromUrl("jdbc:postgresql://primary:5433,replica/orders?targetServerType=primary"))
                .isEqualTo("database 'orders' at primary:5433,replica:5432");
    }

    @Test
    void a_url_of_another_driver_is_not_named() {
        assertThat(DatabaseLocation.fromUrl("jdbc:mysql://db:3306/orders")).isNull();
    }

    @Test
    void a_pgjdbc_data_source_is_named_from_its_properties() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setServerNames(new String[] {"db.example"});
        dataSource.setPortNumbers(new int[] {6543});
        dataSource.setDatabaseName("orders");
        dataSource.setPassword("hunter2");

        assertThat(DatabaseLocation.of(dataSource).describe()).isEqualTo("database 'orders' at db.example:6543");
    }
}
