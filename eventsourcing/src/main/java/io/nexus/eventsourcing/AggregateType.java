package io.nexus.eventsourcing;

import static java.util.Objects.requireNonNull;

import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamId;
import java.util.function.Function;

/**
 * One aggregate type: its name (the stream category and the snapshot type), its {@link Decider}, the classes of its
 * state and events, and when it is snapshotted. Immutable and thread-safe; build it once.
 *
 * <pre>{@code
 * AggregateType<AccountCommand, AccountEvent, Account> accounts = AggregateType
 *         .builder("account", decider, Account.class, AccountEvent.class)
 *         .snapshotEvery(100)          // default: never
 *         .snapshotSchemaVersion(2)    // raise it when Account changes shape: older snapshots are ignored
 *         .build();
 * }</pre>
 *
 * @param <C> the commands
 * @param <E> the events
 * @param <S> the state
 */
public final class AggregateType<C, E, S> {
    /** Default {@link Builder#snapshotEvery(int)}: 0, no snapshots. */
    public static final int DEFAULT_SNAPSHOT_EVERY = 0;
    /** Default {@link Builder#snapshotSchemaVersion(int)}: {@value}. */
    public static final int DEFAULT_SNAPSHOT_SCHEMA_VERSION = 1;

    private final String name;
    private final Decider<C, E, S> decider;
    private final Class<S> stateClass;
    private final Class<E> eventClass;
    private final int snapshotEvery;
    private final int snapshotSchemaVersion;
    private final Function<E, NewEvent> toNewEvent;

    private AggregateType(Builder<C, E, S> builder) {
        this.name = builder.name;
        this.decider = builder.decider;
        this.stateClass = builder.stateClass;
        this.eventClass = builder.eventClass;
        this.snapshotEvery = builder.snapshotEvery;
        this.snapshotSchemaVersion = builder.snapshotSchemaVersion;
        this.toNewEvent = builder.toNewEvent;
    }

    /**
     * Starts an aggregate type.
     *
     * @param name the stream category of its aggregates ({@code account} gives streams {@code account-<id>}) and the
     *     snapshot type; letters, digits, {@code _ . :}, no {@code -}
     * @param decider its decision logic
     * @param stateClass the class of its state (snapshots are read as it)
     * @param eventClass the class (or sealed interface) all its events share
     * @param <C> the commands
     * @param <E> the events
     * @param <S> the state
     * @return a builder with every other setting at its default
     * @throws IllegalArgumentException if the name is not a valid category
     */
    public static <C, E, S> Builder<C, E, S> builder(
            String name, Decider<C, E, S> decider, Class<S> stateClass, Class<E> eventClass) {
        return new Builder<>(name, decider, stateClass, eventClass);
    }

    /** {@return the name: the stream category and snapshot type} */
    public String name() {
        return name;
    }

    /** {@return the decision logic} */
    public Decider<C, E, S> decider() {
        return decider;
    }

    /** {@return the class of the state} */
    public Class<S> stateClass() {
        return stateClass;
    }

    /** {@return the class all events share} */
    public Class<E> eventClass() {
        return eventClass;
    }

    /** {@return after how many events since the last snapshot a new one is taken; 0 for never} */
    public int snapshotEvery() {
        return snapshotEvery;
    }

    /** {@return the schema version written into snapshots and required of those loaded} */
    public int snapshotSchemaVersion() {
        return snapshotSchemaVersion;
    }

    /**
     * The stream of the aggregate {@code id}.
     *
     * @param id the aggregate's id within its type
     * @return {@code <name>-<id>}
     * @throws IllegalArgumentException if the result is not a valid stream id
     */
    public StreamId streamId(String id) {
        return StreamId.of(name, requireNonNull(id, "id"));
    }

    /**
     * The event to append for {@code event}, as {@link Builder#toNewEvent} configured.
     *
     * @param event one of this type's events
     * @return the new event, with a random id
     */
    public NewEvent toNewEvent(E event) {
        return requireNonNull(toNewEvent.apply(requireNonNull(event, "event")), "the new event of " + event);
    }

    /** The payload of {@code recorded} as one of this type's events, or a clear error naming the registry fix. */
    E eventOf(RecordedEvent recorded) {
        Object data = recorded.data();
        if (!eventClass.isInstance(data)) {
            throw new IllegalStateException("stream '" + recorded.streamId() + "' version " + recorded.streamVersion()
                    + ": event type '" + recorded.type() + "' was read as a "
                    + data.getClass().getName()
                    + ", not a " + eventClass.getName() + "; register the event classes in the store's"
                    + " EventTypeRegistry");
        }
        return eventClass.cast(data);
    }

    @Override
    public String toString() {
        return "AggregateType[" + name + "]";
    }

    /**
     * Configures an {@link AggregateType}; validates each setting as it is given. Not thread-safe.
     *
     * @param <C> the commands
     * @param <E> the events
     * @param <S> the state
     */
    public static final class Builder<C, E, S> {
        private final String name;
        private final Decider<C, E, S> decider;
        private final Class<S> stateClass;
        private final Class<E> eventClass;
        private int snapshotEvery = DEFAULT_SNAPSHOT_EVERY;
        private int snapshotSchemaVersion = DEFAULT_SNAPSHOT_SCHEMA_VERSION;
        private Function<E, NewEvent> toNewEvent = NewEvent::of;

        private Builder(String name, Decider<C, E, S> decider, Class<S> stateClass, Class<E> eventClass) {
            requireNonNull(name, "name");
            if (name.isEmpty()
                    || name.contains("-")
                    || StreamId.of(name, "x").value().length() != name.length() + 2) {
                throw new IllegalArgumentException(
                        "an aggregate type name is a stream category: not blank, no '-', was '" + name + "'");
            }
            this.name = name;
            this.decider = requireNonNull(decider, "decider");
            this.stateClass = requireNonNull(stateClass, "stateClass");
            this.eventClass = requireNonNull(eventClass, "eventClass");
        }

        /**
         * Takes a snapshot after a command or a load that folded at least this many events on top of the latest
         * snapshot (or the stream's start), so loading reads fewer than this many events. Default: {@value
         * AggregateType#DEFAULT_SNAPSHOT_EVERY}, never. The repository needs a {@code SnapshotStore} for it.
         *
         * @param snapshotEvery events between snapshots, at least 1; or 0 for never
         * @return this builder
         * @throws IllegalArgumentException if it is negative
         */
        public Builder<C, E, S> snapshotEvery(int snapshotEvery) {
            if (snapshotEvery < 0) {
                throw new IllegalArgumentException("snapshotEvery must be >= 0 (0: never), was " + snapshotEvery);
            }
            this.snapshotEvery = snapshotEvery;
            return this;
        }

        /**
         * The version of the state's shape. Raise it when the state class changes incompatibly: snapshots of another
         * version are ignored and the state is rebuilt from the events (and snapshotted again). Default: {@value
         * AggregateType#DEFAULT_SNAPSHOT_SCHEMA_VERSION}.
         *
         * @param snapshotSchemaVersion at least 0
         * @return this builder
         * @throws IllegalArgumentException if it is negative
         */
        public Builder<C, E, S> snapshotSchemaVersion(int snapshotSchemaVersion) {
            if (snapshotSchemaVersion < 0) {
                throw new IllegalArgumentException("snapshotSchemaVersion must be >= 0, was " + snapshotSchemaVersion);
            }
            this.snapshotSchemaVersion = snapshotSchemaVersion;
            return this;
        }

        /**
         * How a decided event becomes a {@link NewEvent} (type name, metadata). Default: {@link NewEvent#of(Object)},
         * the type name from the event class's {@code @EventType}.
         *
         * @param toNewEvent the conversion
         * @return this builder
         */
        public Builder<C, E, S> toNewEvent(Function<E, NewEvent> toNewEvent) {
            this.toNewEvent = requireNonNull(toNewEvent, "toNewEvent");
            return this;
        }

        /** {@return the aggregate type} */
        public AggregateType<C, E, S> build() {
            return new AggregateType<>(this);
        }
    }
}
