package io.nexus.eventbus.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nexus.eventbus.BusConfig;
import io.nexus.eventbus.NexusConfig;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Maps the YAML configuration onto {@link NexusConfig}, with environment substitution inside values. */
public final class YamlConfigReader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
    private static final Set<String> TOP_KEYS = Set.of(
            "backend",
            "max_queue_size",
            "worker_count",
            "emit_timeout",
            "retry_attempts",
            "retry_delay",
            "exponential_backoff",
            "batch_size",
            "flush_interval",
            "persistence",
            "retention_days",
            "metrics",
            "tracing",
            "postgres",
            "redis",
            "rabbitmq");

    private final Function<String, @Nullable String> environment;

    private YamlConfigReader(Function<String, @Nullable String> environment) {
        this.environment = environment;
    }

    public static NexusConfig read(String yaml, Function<String, @Nullable String> environment) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the configuration is not valid YAML: " + e.getOriginalMessage(), e);
        }
        if (root == null
                || !root.isObject()
                || !root.has("nexus")
                || !root.get("nexus").isObject()) {
            throw new IllegalArgumentException(
                    "the configuration must be a YAML map with a top-level 'nexus:' section");
        }
        return new YamlConfigReader(environment).nexus((ObjectNode) root.get("nexus"));
    }

    private NexusConfig nexus(ObjectNode node) {
        checkKeys("nexus", node, TOP_KEYS);
        BusConfig.Builder bus = BusConfig.builder();
        Section s = new Section("nexus", node);
        s.integer("max_queue_size").ifPresent(bus::maxQueueSize);
        s.integer("worker_count").ifPresent(bus::workerCount);
        s.duration("emit_timeout").ifPresent(bus::emitTimeout);
        s.integer("retry_attempts").ifPresent(bus::retryAttempts);
        s.duration("retry_delay").ifPresent(bus::retryDelay);
        s.bool("exponential_backoff").ifPresent(bus::exponentialBackoff);
        s.integer("batch_size").ifPresent(bus::batchSize);
        s.duration("flush_interval").ifPresent(bus::flushInterval);
        s.bool("metrics").ifPresent(bus::metricsEnabled);
        NexusConfig.Backend backend = s.text("backend").map(this::backend).orElse(NexusConfig.DEFAULT_BACKEND);
        return new NexusConfig(
                backend,
                bus.build(),
                s.bool("persistence").orElse(backend != NexusConfig.Backend.MEMORY),
                s.integer("retention_days").orElse(NexusConfig.DEFAULT_RETENTION_DAYS),
                s.bool("tracing").orElse(NexusConfig.DEFAULT_TRACING),
                s.section("postgres", Set.of("url", "user", "password", "schema"))
                        .map(p -> new NexusConfig.Postgres(
                                p.requiredText("url"),
                                p.text("user").orElse(null),
                                p.text("password").orElse(null),
                                p.text("schema").orElse("nexus")))
                        .orElse(null),
                s.section("redis", Set.of("url", "stream", "consumer_group", "max_length"))
                        .map(r -> new NexusConfig.Redis(
                                r.requiredText("url"),
                                r.text("stream").orElse("nexus-events"),
                                r.text("consumer_group").orElse("nexus"),
                                r.integer("max_length").orElse(0)))
                        .orElse(null),
                s.section("rabbitmq", Set.of("uri", "exchange"))
                        .map(r -> new NexusConfig.RabbitMq(
                                r.requiredText("uri"), r.text("exchange").orElse("nexus.events")))
                        .orElse(null));
    }

    private NexusConfig.Backend backend(String value) {
        try {
            return NexusConfig.Backend.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "nexus.backend must be one of memory, postgres, redis, rabbitmq; was '" + value + "'", e);
        }
    }

    private static void checkKeys(String path, JsonNode node, Set<String> allowed) {
        Set<String> unknown = new HashSet<>();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    path + " has unknown key(s) " + unknown + "; known keys are " + new TreeSet<>(allowed));
        }
    }

    /** One YAML map, read key by key with the key's full path in every error. */
    private final class Section {
        private final String path;
        private final JsonNode node;

        Section(String path, JsonNode node) {
            this.path = path;
            this.node = node;
        }

        Optional<Section> section(String key, Set<String> keys) {
            JsonNode child = node.get(key);
            if (child == null || child.isNull()) {
                return Optional.empty();
            }
            if (!child.isObject()) {
                throw new IllegalArgumentException(path + "." + key + " must be a map");
            }
            checkKeys(path + "." + key, child, keys);
            return Optional.of(new Section(path + "." + key, child));
        }

        Optional<String> text(String key) {
            JsonNode value = node.get(key);
            if (value == null || value.isNull()) {
                return Optional.empty();
            }
            if (!value.isValueNode()) {
                throw new IllegalArgumentException(path + "." + key + " must be a single value, was " + value);
            }
            return Optional.of(substitute(path + "." + key, value.asText()));
        }

        String requiredText(String key) {
            return text(key)
                    .filter(v -> !v.isBlank())
                    .orElseThrow(() -> new IllegalArgumentException(path + "." + key + " is required"));
        }

        Optional<Integer> integer(String key) {
            return text(key).map(v -> {
                try {
                    return Integer.parseInt(v.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            path + "." + key + " must be a whole number, was '" + v + "'", e);
                }
            });
        }

        Optional<Boolean> bool(String key) {
            return text(key).map(v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default ->
                    throw new IllegalArgumentException(path + "." + key + " must be true or false, was '" + v + "'");
            });
        }

        Optional<Duration> duration(String key) {
            return text(key).map(v -> parseDuration(path + "." + key, v.trim()));
        }
    }

    private static Duration parseDuration(String key, String value) {
        Matcher simple = SIMPLE_DURATION.matcher(value);
        if (simple.matches()) {
            long amount = Long.parseLong(simple.group(1));
            String unit = simple.group(2) == null ? "ms" : simple.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            };
        }
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    key + " must be a duration such as 250ms, 5s, 2m, 1h or PT1S, was '" + value + "'", e);
        }
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
