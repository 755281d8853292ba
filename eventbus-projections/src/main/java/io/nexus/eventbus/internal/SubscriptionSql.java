package io.nexus.eventbus.internal;

/**
 * The SQL of durable subscriptions and dead letters, with the schema substituted once; the caller validates the
 * schema name. Lease times are always the server's clock ({@code now()}), never this process's.
 */
public final class SubscriptionSql {
    final String insert;
    final String kind;
    final String acquire;
    final String checkpoint;
    final String renew;
    final String release;
    final String recordError;
    final String deadLetter;
    final String deadLetterPosition;
    final String deleteDeadLetter;
    /** Lists a subscription's dead letters: binds {@code name} and {@code max}. */
    public final String listDeadLetters;
    /** The subscription of one dead letter: binds {@code id}. */
    public final String deadLetterSubscription;
    /** Deletes one dead letter: binds {@code id}. */
    public final String discardDeadLetter;

    private SubscriptionSql(String schema) {
        insert = q(schema, """
                INSERT INTO ${schema}.subscriptions (name, kind) VALUES (:name, 'subscription')
                ON CONFLICT (name) DO NOTHING""");
        kind = q(schema, "SELECT kind FROM ${schema}.subscriptions WHERE name = :name");
        // Free, expired, or ours already: take it with a new fencing token. Concurrent takers serialize on the row
        // lock and the loser re-checks the condition against the winner's lease, so only one succeeds.
        acquire = q(schema, """
                UPDATE ${schema}.subscriptions
                SET owner = :owner, fencing_token = fencing_token + 1,
                    lease_expires_at = now() + :millis * interval '1 millisecond', updated_at = now()
                WHERE name = :name AND kind = 'subscription' AND status = 'active'
                  AND (owner IS NULL OR owner = :owner OR lease_expires_at IS NULL OR lease_expires_at <= now())
                RETURNING fencing_token, position""");
        checkpoint = q(schema, """
                UPDATE ${schema}.subscriptions
                SET position = :position, lease_expires_at = now() + :millis * interval '1 millisecond',
                    updated_at = now()
                WHERE name = :name AND owner = :owner AND fencing_token = :token AND position <= :position""");
        renew = q(schema, """
                UPDATE ${schema}.subscriptions
                SET lease_expires_at = now() + :millis * interval '1 millisecond', updated_at = now()
                WHERE name = :name AND owner = :owner AND fencing_token = :token AND position <= :position""");
        release = q(schema, """
                UPDATE ${schema}.subscriptions SET owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE name = :name AND owner = :owner AND fencing_token = :token""");
        recordError = q(schema, """
                UPDATE ${schema}.subscriptions SET last_error = :error, last_error_at = now(), updated_at = now()
                WHERE name = :name AND fencing_token = :token""");
        deadLetter = q(schema, """
                INSERT INTO ${schema}.dead_letters (subscription, position, event_id, stream_id, type, attempts, error)
                VALUES (:name, :position, :eventId, :streamId, :type, :attempts, :error)
                ON CONFLICT ON CONSTRAINT dead_letters_subscription_event_id_key DO UPDATE
                SET attempts = ${schema}.dead_letters.attempts + EXCLUDED.attempts, error = EXCLUDED.error,
                    failed_at = now()""");
        deadLetterPosition = q(schema, "SELECT position FROM ${schema}.dead_letters WHERE id = :id AND subscription = :name");
        deleteDeadLetter = q(schema, "DELETE FROM ${schema}.dead_letters WHERE id = :id");
        listDeadLetters = q(schema, """
                SELECT id, subscription, position, event_id, stream_id, type, attempts, error, failed_at
                FROM ${schema}.dead_letters WHERE subscription = :name ORDER BY position, id LIMIT :max""");
        deadLetterSubscription = q(schema, "SELECT subscription FROM ${schema}.dead_letters WHERE id = :id");
        discardDeadLetter = deleteDeadLetter;
    }

    /** The statements for {@code schema}, already validated by the caller. */
    public static SubscriptionSql of(String schema) {
        return new SubscriptionSql(schema);
    }

    private static String q(String schema, String sql) {
        return sql.replace("${schema}", schema);
    }
}
