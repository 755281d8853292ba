package io.nexus.eventbus;

import static java.util.Objects.requireNonNull;

/** The state of a projection's row in the {@code subscriptions} table. */
public enum ProjectionStatus {
    /** Following the global order. */
    ACTIVE("active"),
    /** Replaying from the start after a {@linkplain ProjectionDaemon#rebuild rebuild}; back to active once caught up. */
    REBUILDING("rebuilding"),
    /** Set by an operator; the daemon still owns it but does not advance it. */
    PAUSED("paused");

    private final String sql;

    ProjectionStatus(String sql) {
        this.sql = sql;
    }

    /** {@return the value stored in the {@code status} column} */
    public String sqlValue() {
        return sql;
    }

    /**
     * The status stored as {@code value}; throws {@link IllegalArgumentException} for an unknown one.
     *
     * @param value the stored value
     * @return the status
     */
    public static ProjectionStatus fromSql(String value) {
        requireNonNull(value, "value");
        for (ProjectionStatus status : values()) {
            if (status.sql.equals(value)) {
                return status;
            }
        }
        throw new IllegalArgumentException("unknown projection status '" + value + "'");
    }
}
