package io.nexus.eventbus;

/**
 * Observes a {@link ProjectionDaemon}: progress, ownership and failures. Every method has an empty default.
 * Callbacks run on the daemon's threads, several at once for different projections: keep them short, thread-safe and
 * free of exceptions (an exception is logged and ignored).
 */
public interface ProjectionListener {
    /** A listener that ignores everything. */
    ProjectionListener NONE = new ProjectionListener() {};

    /**
     * A batch committed; {@code progress} is where the projection stands now.
     *
     * @param progress the projection's name, status, checkpoint and head
     */
    default void onProgress(ProjectionProgress progress) {}

    /**
     * This daemon became the owner of {@code projection} (with a new {@code fencingToken}), or stopped being it
     * ({@code owned} false; the token is the one it lost).
     *
     * @param projection the projection's name
     * @param owned whether this daemon owns it now
     * @param fencingToken the lease's token, new or lost
     */
    default void onOwnershipChanged(String projection, boolean owned, long fencingToken) {}

    /**
     * A batch starting after {@code checkpoint} failed and was rolled back; it is retried with back-off. The error is
     * also stored in the {@code last_error} column.
     *
     * @param projection the projection's name
     * @param checkpoint the checkpoint the batch started after
     * @param error what the batch threw
     */
    default void onFailure(String projection, long checkpoint, Exception error) {}
}
