package io.nexus.sagas.internal;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.jdbc.PostgresEventStore;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.util.List;

/**
 * Appends on the caller's connection, inside its transaction. A stop-gap until the store's public append on a
 * {@code Connection} (issue 11, part 1) is merged: it reaches the store's own appender, so expected versions,
 * idempotency and gap safety are exactly the store's. Replace every use with {@code PostgresEventStore.append(
 * Connection, ...)} then, and delete this class.
 */
public final class ConnectionAppender {
    private final Object appender;
    private final Method append;

    private ConnectionAppender(Object appender, Method append) {
        this.appender = appender;
        this.append = append;
    }

    public static ConnectionAppender of(PostgresEventStore store) {
        try {
            Field field = PostgresEventStore.class.getDeclaredField("appender");
            field.setAccessible(true);
            Object appender = field.get(store);
            Method append = appender.getClass().getMethod("append", Connection.class, StreamAppend.class);
            return new ConnectionAppender(appender, append);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this nexus-eventstore-jdbc has no appender to borrow", e);
        }
    }

    /** Appends {@code events} to {@code stream} on {@code connection}; commits with the caller's transaction. */
    public AppendResult append(
            Connection connection, StreamId stream, ExpectedVersion expected, List<NewEvent> events) {
        try {
            return (AppendResult) append.invoke(appender, connection, StreamAppend.of(stream, expected, events));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
