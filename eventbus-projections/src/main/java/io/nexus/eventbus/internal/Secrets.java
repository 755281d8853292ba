package io.nexus.eventbus.internal;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Keeps passwords out of messages and {@code toString}: configuration errors and logs are often pasted in tickets. */
public final class Secrets {
    /** {@code user:password@} of a URL's authority, and {@code password=...} of a JDBC URL's parameters. */
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(://[^/@:]*):[^/@]*@");

    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&;]*");

    private Secrets() {}

    /** {@return {@code ***} for a set password, null for none} */
    public static @Nullable String mask(@Nullable String password) {
        return password == null ? null : "***";
    }

    /** {@return the URL with any password in it replaced by {@code ***}} */
    public static String redactUrl(String url) {
        String withoutUserInfo = USER_INFO_PASSWORD.matcher(url).replaceAll("$1:***@");
        return PASSWORD_PARAMETER.matcher(withoutUserInfo).replaceAll("$1***");
    }
}
