package io.nexus.eventstore.core;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * The name of the database schema an event store lives in, such as {@code nexus}. Validated once here, so every module
 * that puts a schema name into SQL (the store, the bus, the migrations) accepts exactly the same names.
 *
 * <p>A schema name is 1 to {@value #MAX_LENGTH} characters of {@code a-z}, {@code 0-9} and {@code _}, not starting
 * with a digit. Such a name never needs quoting and cannot inject SQL. PostgreSQL truncates identifiers longer than
 * 63 bytes, and the schema name is also the prefix of identifiers derived from it (the notification channel {@code
 * <schema>_events}, and roles or channels named after the schema): the limit of {@value #MAX_LENGTH} leaves {@value
 * #MAX_SUFFIX_LENGTH} bytes for such a suffix, so a derived identifier is never silently truncated into another one.
 * Violations throw {@link IllegalArgumentException} naming the value and the rule.
 */
public record SchemaName(String value) {
    /** The longest schema name accepted, in characters (one byte each). */
    public static final int MAX_LENGTH = 50;
    /** The longest suffix {@link #withSuffix} accepts: what a 63-byte PostgreSQL identifier leaves after the name. */
    public static final int MAX_SUFFIX_LENGTH = 63 - MAX_LENGTH;
    /** The schema used when none is given. */
    public static final String DEFAULT = "nexus";

    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final Pattern SUFFIX = Pattern.compile("[a-z0-9_]+");

    /**
     * Checks the name: 1 to {@link #MAX_LENGTH} characters of {@code a-z}, {@code 0-9} and {@code _}, not starting with
     * a digit.
     *
     * @param value the name, such as {@code nexus}
     * @throws IllegalArgumentException quoting the name if it breaks that rule
     */
    public SchemaName {
        requireNonNull(value, "schema");
        if (value.isEmpty()
                || value.length() > MAX_LENGTH
                || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException("schema name must be 1 to " + MAX_LENGTH
                    + " characters of a-z, 0-9 and _, not starting with a digit, was '" + value + "'");
        }
    }

    /**
     * Returns the schema name {@code value}; see the class comment for the rules.
     *
     * @param value the name, such as {@code nexus}
     * @return the schema name
     * @throws IllegalArgumentException quoting the name if it breaks the rules
     */
    public static SchemaName of(String value) {
        return new SchemaName(value);
    }

    /**
     * An identifier derived from this name, {@code <schema><suffix>}, such as the notification channel {@code
     * nexus_events}; always within PostgreSQL's 63 bytes.
     *
     * @param suffix 1 to {@value #MAX_SUFFIX_LENGTH} characters of a-z, 0-9 and _
     * @return {@code <schema><suffix>}
     * @throws IllegalArgumentException naming the suffix when it breaks that rule
     */
    public String withSuffix(String suffix) {
        requireNonNull(suffix, "suffix");
        if (suffix.length() > MAX_SUFFIX_LENGTH || !SUFFIX.matcher(suffix).matches()) {
            throw new IllegalArgumentException("an identifier suffix must be 1 to " + MAX_SUFFIX_LENGTH
                    + " characters of a-z, 0-9 and _, was '" + suffix + "'");
        }
        return value + suffix;
    }

    @Override
    public String toString() {
        return value;
    }
}
