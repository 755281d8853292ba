package io.nexus.eventbus.redis;

import java.net.URI;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.util.JedisURIHelper;

/** The one way this module opens a Redis client: on a URL, with a connection pool of a given size. */
final class RedisClients {
    private RedisClients() {}

    /**
     * A client on {@code url} whose pool holds at most {@code poolSize} connections ({@code redis.pool_size}); a
     * command that finds them all in use waits for one (Jedis's blocking pool), it does not fail.
     */
    static RedisClient create(URI url, int poolSize) {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(poolSize);
        pool.setMaxIdle(poolSize);
        pool.setBlockWhenExhausted(true);
        return RedisClient.builder()
                .hostAndPort(JedisURIHelper.getHostAndPort(url))
                .clientConfig(DefaultJedisClientConfig.builder(url).build())
                .poolConfig(pool)
                .build();
    }

    /** Checks a {@code poolSize} given to a builder: at least 1. */
    static int checkPoolSize(int poolSize) {
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be >= 1, was " + poolSize);
        }
        return poolSize;
    }
}
