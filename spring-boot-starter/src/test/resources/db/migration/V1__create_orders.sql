-- The test application's own table, migrated by its own Flyway (public.flyway_schema_history).
CREATE TABLE orders (id text PRIMARY KEY, amount_cents bigint NOT NULL);
