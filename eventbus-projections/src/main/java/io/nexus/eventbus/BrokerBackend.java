package io.nexus.eventbus;

/**
 * Lets {@link EventBuses#create(NexusConfig)} build a broker's transport without a compile dependency on the broker's
 * module: each broker module registers one implementation with {@link java.util.ServiceLoader} (a file {@code
 * META-INF/services/io.nexus.eventbus.BrokerBackend}). Not for applications, which use {@link EventBuses} or the
 * broker modules' builders.
 */
public interface BrokerBackend {
    /** {@return the backend this module serves: {@link NexusConfig.Backend#REDIS} or {@link NexusConfig.Backend#RABBITMQ}} */
    NexusConfig.Backend backend();

    /**
     * The transport that {@code config}'s broker section describes, not yet started.
     *
     * @param config the configuration, whose {@link #backend()} section is present
     * @return the transport
     * @throws IllegalArgumentException if a broker setting is malformed, naming it
     */
    BrokerTransport transport(NexusConfig config);
}
