package io.nexus.eventbus.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Builds a broker URL from a configuration block's parts, percent-encoding the user, password and path segment. */
public final class ServerUrl {
    private ServerUrl() {}

    /** {@return {@code scheme://[user]:password@host:port/path}, the credentials only when a password is given} */
    public static String of(
            String scheme, @Nullable String user, @Nullable String password, String host, int port, String path) {
        StringBuilder url = new StringBuilder(scheme).append("://");
        if (password != null) {
            url.append(user == null ? "" : encode(user))
                    .append(':')
                    .append(encode(password))
                    .append('@');
        }
        return url.append(host.contains(":") ? "[" + host + "]" : host)
                .append(':')
                .append(port)
                .append('/')
                .append(encode(path))
                .toString();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
