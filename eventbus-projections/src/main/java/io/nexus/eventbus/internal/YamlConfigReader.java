package io.nexus.eventbus.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.NexusConfig;
import io.nexus.eventbus.PostgresConfig;
import io.nexus.eventbus.RabbitMqConfig;
import io.nexus.eventbus.RedisConfig;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Maps the YAML configuration onto {@link NexusConfig}: the seed design's keys (canonical) and Nexus's older ones,
 * environment substitution inside values, and one error per problem naming the key, the value (never a password's)
 * and what was expected.
 */
public final class YamlConfigReader {
    private static final ObjectMapper YAML =
            new ObjectMapper(new YAMLFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
    private static final Pattern SECONDS = Pattern.compile("\\d+(\\.\\d+)?");
    private static final Pattern WITH_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");

    /** The top section's keys: canonical (the design's) name first, then the older Nexus name it replaces. */
    private static final Map<String, String> TOP_KEYS = keys(
            "backend", "",
            "max_queue_size", "",
            "worker_count", "",
            "emit_timeout", "",
            "retry_attempts", "",
            "retry_delay", "",
            "exponential_backoff", "",
            "persist_events", "persistence",
            "event_store_backend", "",
            "event_retention_days", "retention_days",
            "batch_size", "",
            "flush_interval", "",
            "enable_metrics", "metrics",
            "enable_tracing", "tracing",
            "postgresql", "postgres",
            "redis", "",
            "rabbitmq", "");

    private static final Map<String, String> POSTGRES_KEYS = keys(
            "jdbc_url", "url",
            "user", "",
            "password", "",
            "schema", "",
            "pool_size", "",
            "notifications", "",
            "listen_url", "",
            "auto_commit", "");

    private static final Map<String, String> REDIS_KEYS = keys(
            "url", "",
            "host", "",
            "port", "",
            "password", "",
            "database", "",
            "ssl", "",
            "pool_size", "",
            "channel_prefix", "",
            "stream_name", "stream",
            "consumer_group", "",
            "max_stream_length", "max_length");

    private static final Map<String, String> RABBITMQ_KEYS = keys(
            "url", "uri",
            "host", "",
            "port", "",
            "username", "",
            "password", "",
            "virtual_host", "",
            "ssl", "",
            "exchange", "",
            "queue_prefix", "");

    private final Function<String, @Nullable String> environment;

    private YamlConfigReader(Function<String, @Nullable String> environment) {
        this.environment = environment;
    }

    private static Map<String, String> keys(String... canonicalThenOlder) {
        Map<String, String> keys = new LinkedHashMap<>();
        for (int i = 0; i < canonicalThenOlder.length; i += 2) {
            keys.put(canonicalThenOlder[i], canonicalThenOlder[i + 1]);
        }
        return keys;
    }

    public static NexusConfig read(String yaml, Function<String, @Nullable String> environment) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            String where =
                    e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new IllegalArgumentException(
                    "the configuration is not valid YAML" + where + ": " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject() || !(root.has("events") || root.has("nexus"))) {
            throw new IllegalArgumentException(
                    "the configuration must be a YAML map with a top-level 'events:' section (or the older 'nexus:')");
        }
        if (root.has("events") && root.has("nexus")) {
            throw new IllegalArgumentException("the configuration has both 'events:' and the older 'nexus:' section;"
                    + " keep one ('events:' is canonical)");
        }
        String name = root.has("events") ? "events" : "nexus";
        Set<String> others = new TreeSet<>();
        root.fieldNames().forEachRemaining(others::add);
        others.remove(name);
        if (!others.isEmpty()) {
            throw new IllegalArgumentException("the configuration has unknown top-level key(s) " + others
                    + "; everything goes under '" + name + ":'");
        }
        JsonNode section = root.get(name);
        if (!section.isObject()) {
            throw new IllegalArgumentException("'" + name + ":' must be a map of settings, was " + section);
        }
        YamlConfigReader reader = new YamlConfigReader(environment);
        return reader.events(reader.new Section(name, section, TOP_KEYS));
    }

    /** {@return the redis block of just {@code url: <url>}} */
    public static RedisConfig redisFromUrl(String url) {
        YamlConfigReader reader = new YamlConfigReader(name -> null);
        return reader.redis(reader.new Section("redis", YAML.createObjectNode().put("url", url), REDIS_KEYS));
    }

    /** {@return the rabbitmq block of just {@code url: <url>}} */
    public static RabbitMqConfig rabbitMqFromUrl(String url) {
        YamlConfigReader reader = new YamlConfigReader(name -> null);
        return reader.rabbitMq(
                reader.new Section("rabbitmq", YAML.createObjectNode().put("url", url), RABBITMQ_KEYS));
    }

    private NexusConfig events(Section s) {
        BusConfig.Builder bus = BusConfig.builder();
        s.set("max_queue_size", s.integer("max_queue_size"), bus::maxQueueSize);
        s.set("worker_count", s.integer("worker_count"), bus::workerCount);
        s.set("emit_timeout", s.duration("emit_timeout"), bus::emitTimeout);
        s.set("retry_attempts", s.integer("retry_attempts"), bus::retryAttempts);
        s.set("retry_delay", s.duration("retry_delay"), bus::retryDelay);
        s.set("exponential_backoff", s.bool("exponential_backoff"), bus::exponentialBackoff);
        s.set("batch_size", s.integer("batch_size"), bus::batchSize);
        s.set("flush_interval", s.duration("flush_interval"), bus::flushInterval);
        s.set("enable_metrics", s.bool("enable_metrics"), bus::metricsEnabled);
        s.text("event_store_backend").ifPresent(store -> {
            if (!store.equals("postgresql") && !store.equals("postgres")) {
                throw s.error("event_store_backend", "'" + store + "'", "postgresql (the only event store)");
            }
        });
        NexusConfig.Backend backend = s.text("backend").map(v -> backend(s, v)).orElse(NexusConfig.DEFAULT_BACKEND);
        PostgresConfig postgres =
                s.section("postgresql", POSTGRES_KEYS).map(this::postgres).orElse(null);
        // The design's default is false; with a postgresql: block (or the postgres backend) events are kept.
        boolean persist = s.bool("persist_events").orElse(backend == NexusConfig.Backend.POSTGRES || postgres != null);
        BusConfig busConfig = bus.build();
        RedisConfig redis = s.section("redis", REDIS_KEYS).map(this::redis).orElse(null);
        RabbitMqConfig rabbitMq =
                s.section("rabbitmq", RABBITMQ_KEYS).map(this::rabbitMq).orElse(null);
        return s.build(() -> new NexusConfig(
                backend,
                busConfig,
                persist,
                s.integer("event_retention_days").orElse(NexusConfig.DEFAULT_RETENTION_DAYS),
                s.bool("enable_tracing").orElse(NexusConfig.DEFAULT_TRACING),
                postgres,
                redis,
                rabbitMq));
    }

    private static NexusConfig.Backend backend(Section s, String value) {
        String normalized = value.trim().toLowerCase(Locale.ROOT);
        if (normalized.equals("postgresql")) {
            return NexusConfig.Backend.POSTGRES;
        }
        for (NexusConfig.Backend backend : NexusConfig.Backend.values()) {
            if (backend.key().equals(normalized)) {
                return backend;
            }
        }
        throw s.error("backend", "'" + value + "'", "one of memory, postgres, redis, rabbitmq");
    }

    private PostgresConfig postgres(Section p) {
        PostgresConfig.Notifications notifications = p.text("notifications")
                .map(v -> {
                    for (PostgresConfig.Notifications mode : PostgresConfig.Notifications.values()) {
                        if (mode.key().equals(v.trim().toLowerCase(Locale.ROOT))) {
                            return mode;
                        }
                    }
                    throw p.error("notifications", "'" + v + "'", "one of listen, listen_on_pool, poll");
                })
                .orElse(PostgresConfig.Notifications.LISTEN);
        return p.build(() -> new PostgresConfig(
                p.requiredText("jdbc_url"),
                p.text("user").orElse(null),
                p.text("password").orElse(null),
                p.text("schema").orElse(PostgresConfig.DEFAULT_SCHEMA),
                p.integer("pool_size").orElse(PostgresConfig.DEFAULT_POOL_SIZE),
                notifications,
                p.text("listen_url").orElse(null),
                p.bool("auto_commit").orElse(true)));
    }

    private RedisConfig redis(Section r) {
        RedisConfig defaults = RedisConfig.defaults();
        Optional<String> url = r.text("url");
        Server server = url.map(u -> r.server("url", u, Set.of("redis", "rediss"), "redis://host:6379/0"))
                .orElse(null);
        if (server != null) {
            r.refuseBesideUrl("host", "port", "password", "database", "ssl");
        }
        int defaultPort = server != null && server.port() > 0 ? server.port() : RedisConfig.DEFAULT_PORT;
        int database = server != null
                ? redisDatabase(r, server.path())
                : r.integer("database").orElse(0);
        return r.build(() -> new RedisConfig(
                server != null ? server.host() : r.text("host").orElse(RedisConfig.DEFAULT_HOST),
                r.integer("port").orElse(defaultPort),
                server != null ? emptyToNull(server.user()) : null,
                server != null ? server.password() : r.text("password").orElse(null),
                database,
                server != null
                        ? server.scheme().equals("rediss")
                        : r.bool("ssl").orElse(false),
                r.integer("pool_size").orElse(defaults.poolSize()),
                r.text("channel_prefix").orElse(defaults.channelPrefix()),
                r.text("stream_name").orElse(defaults.streamName()),
                r.text("consumer_group").orElse(defaults.consumerGroup()),
                r.longInteger("max_stream_length").orElse(defaults.maxStreamLength())));
    }

    private static int redisDatabase(Section r, String path) {
        String number = path.startsWith("/") ? path.substring(1) : path;
        if (number.isEmpty()) {
            return 0;
        }
        try {
            return Integer.parseInt(number);
        } catch (NumberFormatException e) {
            throw r.error("url", "database '" + number + "'", "a database number after the port, such as /0");
        }
    }

    private RabbitMqConfig rabbitMq(Section r) {
        Optional<String> url = r.text("url");
        Server server = url.map(
                        u -> r.server("url", u, Set.of("amqp", "amqps"), "amqp://user:password@host:5672/vhost"))
                .orElse(null);
        if (server != null) {
            r.refuseBesideUrl("host", "port", "username", "password", "virtual_host", "ssl");
        }
        boolean ssl =
                server != null ? server.scheme().equals("amqps") : r.bool("ssl").orElse(false);
        int defaultPort = ssl ? RabbitMqConfig.DEFAULT_SSL_PORT : RabbitMqConfig.DEFAULT_PORT;
        String virtualHost = server != null
                ? (server.path().length() > 1 ? server.path().substring(1) : RabbitMqConfig.DEFAULT_VIRTUAL_HOST)
                : r.text("virtual_host").orElse(RabbitMqConfig.DEFAULT_VIRTUAL_HOST);
        return r.build(() -> new RabbitMqConfig(
                server != null ? server.host() : r.text("host").orElse(RabbitMqConfig.DEFAULT_HOST),
                server != null && server.port() > 0
                        ? server.port()
                        : r.integer("port").orElse(defaultPort),
                server != null ? emptyToNull(server.user()) : r.text("username").orElse(null),
                server != null ? server.password() : r.text("password").orElse(null),
                virtualHost,
                ssl,
                r.text("exchange").orElse(RabbitMqConfig.DEFAULT_EXCHANGE),
                r.text("queue_prefix").orElse(RabbitMqConfig.DEFAULT_QUEUE_PREFIX)));
    }

    private static @Nullable String emptyToNull(@Nullable String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    /** A broker URL taken apart; {@code port} is -1 when the URL names none. */
    private record Server(
            String scheme,
            String host,
            int port,
            @Nullable String user,
            @Nullable String password,
            String path) {}

    /** One YAML map, read key by key with the key's full path in every error. */
    private final class Section {
        private final String path;
        private final JsonNode node;
        private final Map<String, String> olderNames;

        Section(String path, JsonNode node, Map<String, String> keys) {
            this.path = path;
            this.node = node;
            this.olderNames = keys;
            Set<String> known = new TreeSet<>();
            keys.forEach((canonical, older) -> {
                known.add(canonical);
                if (!older.isEmpty()) {
                    known.add(older);
                    if (node.has(canonical) && node.has(older)) {
                        throw new IllegalArgumentException(path + " has both " + canonical + " and its older name "
                                + older + "; keep one (" + canonical + " is canonical)");
                    }
                }
            });
            List<String> unknown = new ArrayList<>();
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!known.contains(name)) {
                    unknown.add(name);
                }
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException(
                        path + " has unknown key(s) " + unknown + "; known keys are " + new ArrayList<>(keys.keySet()));
            }
        }

        /** The key's spelling in the file: the canonical one, or its older name when the file uses that. */
        private String spelling(String canonical) {
            String older = olderNames.getOrDefault(canonical, "");
            return !older.isEmpty() && node.has(older) ? older : canonical;
        }

        private @Nullable JsonNode value(String canonical) {
            JsonNode value = node.get(spelling(canonical));
            return value == null || value.isNull() ? null : value;
        }

        IllegalArgumentException error(String canonical, String shown, String expected) {
            return new IllegalArgumentException(
                    path + "." + spelling(canonical) + " is " + shown + ", but it must be " + expected);
        }

        /** Runs a constructor, whose refusal names the key from the block on, prefixing the file's top section. */
        <T> T build(Supplier<T> constructor) {
            try {
                return constructor.get();
            } catch (IllegalArgumentException e) {
                String top = (path.contains(".") ? path.substring(0, path.indexOf('.')) : path) + ".";
                String message = String.valueOf(e.getMessage());
                if (message.startsWith(top)) {
                    throw e; // a key of this file, already named in full
                }
                throw new IllegalArgumentException(top + message, e);
            }
        }

        /** Hands a value to a {@link BusConfig.Builder} setter, naming the key in the setter's refusal. */
        <T> void set(String key, Optional<T> value, Consumer<T> setter) {
            value.ifPresent(v -> {
                try {
                    setter.accept(v);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + "." + spelling(key) + ": " + e.getMessage(), e);
                }
            });
        }

        Optional<Section> section(String key, Map<String, String> keys) {
            JsonNode child = value(key);
            if (child == null) {
                return Optional.empty();
            }
            if (!child.isObject()) {
                throw error(key, "'" + child.asText() + "'", "a map of settings");
            }
            return Optional.of(new Section(path + "." + spelling(key), child, keys));
        }

        Optional<String> text(String key) {
            JsonNode value = value(key);
            if (value == null) {
                return Optional.empty();
            }
            if (!value.isValueNode()) {
                throw error(key, isSecret(key) ? "a " + value.getNodeType() : value.toString(), "a single value");
            }
            return Optional.of(substitute(path + "." + spelling(key), value.asText()));
        }

        String requiredText(String key) {
            return text(key).filter(v -> !v.isBlank()).orElseThrow(() -> error(key, "missing", "given"));
        }

        Optional<Integer> integer(String key) {
            return longInteger(key).map(v -> {
                if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
                    throw error(key, v.toString(), "a whole number up to " + Integer.MAX_VALUE);
                }
                return v.intValue();
            });
        }

        Optional<Long> longInteger(String key) {
            return text(key).map(v -> {
                try {
                    return Long.parseLong(v.trim());
                } catch (NumberFormatException e) {
                    throw error(key, "'" + v + "'", "a whole number");
                }
            });
        }

        Optional<Boolean> bool(String key) {
            return text(key).map(v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw error(key, "'" + v + "'", "true or false");
            });
        }

        Optional<Duration> duration(String key) {
            return text(key).map(v -> parseDuration(key, v.trim()));
        }

        private Duration parseDuration(String key, String value) {
            String expected = "seconds (1.0, 0.25) or a duration with its unit (250ms, 2s, 1m, 1h, PT1S)";
            try {
                if (SECONDS.matcher(value).matches()) {
                    return ofSeconds(new BigDecimal(value));
                }
                Matcher unit = WITH_UNIT.matcher(value);
                if (unit.matches()) {
                    BigDecimal amount = new BigDecimal(unit.group(1));
                    return switch (unit.group(2)) {
                        case "ms" -> ofSeconds(amount.movePointLeft(3));
                        case "s" -> ofSeconds(amount);
                        case "m" -> ofSeconds(amount.multiply(BigDecimal.valueOf(60)));
                        default -> ofSeconds(amount.multiply(BigDecimal.valueOf(3600)));
                    };
                }
                return Duration.parse(value);
            } catch (DateTimeParseException | ArithmeticException e) {
                throw error(key, "'" + value + "'", expected);
            }
        }

        private Duration ofSeconds(BigDecimal seconds) {
            BigDecimal nanos = seconds.movePointRight(9);
            return Duration.ofNanos(nanos.setScale(0, RoundingMode.HALF_UP).longValueExact());
        }

        Server server(String key, String url, Set<String> schemes, String example) {
            String shown = "'" + Secrets.redactUrl(url) + "'";
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw error(key, shown, "a URL such as " + example);
            }
            if (uri.getScheme() == null || !schemes.contains(uri.getScheme()) || uri.getHost() == null) {
                throw error(key, shown, "a URL such as " + example + " (schemes " + new TreeSet<>(schemes) + ")");
            }
            String user = null;
            String password = null;
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
                password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
            }
            String host = uri.getHost().startsWith("[")
                    ? uri.getHost().substring(1, uri.getHost().length() - 1)
                    : uri.getHost();
            return new Server(
                    uri.getScheme(),
                    host,
                    uri.getPort(),
                    user,
                    password,
                    uri.getRawPath() == null ? "" : decode(uri.getRawPath()));
        }

        void refuseBesideUrl(String... keys) {
            for (String key : keys) {
                if (value(key) != null) {
                    throw new IllegalArgumentException(path + " has both url and " + key
                            + "; give the server either as url or as host, port and the other keys, not both");
                }
            }
        }
    }

    private static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static boolean isSecret(String key) {
        return key.equals("password");
    }

    private String substitute(String key, String value) {
        Matcher matcher = VARIABLE.matcher(value);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            String name = matcher.group(1);
            String replacement = environment.apply(name);
            if (replacement == null) {
                if (matcher.group(2) == null) {
                    throw new IllegalArgumentException(
                            key + " uses ${" + name + "}, but the environment variable is not set (use ${" + name
                                    + ":-default} for a default)");
                }
                replacement = matcher.group(3);
            }
            matcher.appendReplacement(result, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(result);
        return result.toString();
    }
}
