package io.nexus.eventstore.core.contract;

import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nexus.eventstore.core.Snapshot;
import io.nexus.eventstore.core.SnapshotStore;
import io.nexus.eventstore.core.StreamId;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The behaviour every {@link SnapshotStore} shares. A test class extends it and supplies the store. */
public abstract class SnapshotStoreContract {
    /** A state as an aggregate would fold it. */
    public record Balance(String owner, long cents) {}

    private static final String TYPE = "bank-account";
    private static final Instant AT = Instant.parse("2026-12-06T10:15:30.123456Z");

    /** The store under test; each call may return the same instance. */
    protected abstract SnapshotStore snapshots();

    private static Snapshot<Balance> snapshot(StreamId stream, long version, int schemaVersion, long cents) {
        return new Snapshot<>(stream, TYPE, version, schemaVersion, new Balance("ada", cents), AT);
    }

    @Test
    void a_stream_without_snapshot_loads_nothing() {
        assertThat(snapshots().load(uniqueStream("account"), TYPE, 1, Balance.class))
                .isEmpty();
    }

    @Test
    void a_saved_snapshot_loads_back_with_its_versions_and_state() {
        StreamId account = uniqueStream("account");

        boolean stored = snapshots().save(snapshot(account, 100, 1, 4_200));
        Optional<Snapshot<Balance>> loaded = snapshots().load(account, TYPE, 1, Balance.class);

        assertThat(stored).isTrue();
        assertThat(loaded).hasValueSatisfying(snapshot -> {
            assertThat(snapshot.state()).isEqualTo(new Balance("ada", 4_200));
            assertThat(snapshot.streamVersion()).isEqualTo(100);
            assertThat(snapshot.schemaVersion()).isEqualTo(1);
            assertThat(snapshot.takenAt()).isEqualTo(AT.truncatedTo(ChronoUnit.MICROS));
        });
    }

    @Test
    void a_later_snapshot_replaces_an_earlier_one_and_an_earlier_one_is_refused() {
        StreamId account = uniqueStream("account");
        snapshots().save(snapshot(account, 100, 1, 1));

        boolean later = snapshots().save(snapshot(account, 200, 1, 2));
        boolean earlier = snapshots().save(snapshot(account, 150, 1, 3));
        boolean same = snapshots().save(snapshot(account, 200, 1, 4));

        assertThat(later).isTrue();
        assertThat(earlier).isFalse();
        assertThat(same).isFalse();
        assertThat(snapshots().load(account, TYPE, 1, Balance.class))
                .hasValueSatisfying(
                        snapshot -> assertThat(snapshot.state().cents()).isEqualTo(2));
    }

    @Test
    void a_snapshot_of_another_schema_version_is_ignored_on_load() {
        StreamId account = uniqueStream("account");
        snapshots().save(snapshot(account, 100, 1, 1));

        assertThat(snapshots().load(account, TYPE, 2, Balance.class)).isEmpty();
        assertThat(snapshots().load(account, TYPE, 0, Balance.class)).isEmpty();
    }

    @Test
    void a_newer_schema_version_replaces_even_at_an_earlier_stream_version_and_an_older_one_never_does() {
        StreamId account = uniqueStream("account");
        snapshots().save(snapshot(account, 200, 1, 1));

        boolean upgraded = snapshots().save(snapshot(account, 50, 2, 2));
        boolean downgraded = snapshots().save(snapshot(account, 300, 1, 3));

        assertThat(upgraded).isTrue();
        assertThat(downgraded).isFalse();
        assertThat(snapshots().load(account, TYPE, 2, Balance.class))
                .hasValueSatisfying(
                        snapshot -> assertThat(snapshot.streamVersion()).isEqualTo(50));
        assertThat(snapshots().load(account, TYPE, 1, Balance.class)).isEmpty();
    }

    @Test
    void each_snapshot_type_of_a_stream_is_kept_apart() {
        StreamId account = uniqueStream("account");
        snapshots().save(snapshot(account, 10, 1, 1));

        snapshots().save(new Snapshot<>(account, "audit-view", 20, 1, new Balance("bob", 9), AT));

        assertThat(snapshots().load(account, TYPE, 1, Balance.class))
                .hasValueSatisfying(
                        snapshot -> assertThat(snapshot.state().owner()).isEqualTo("ada"));
        assertThat(snapshots().load(account, "audit-view", 1, Balance.class))
                .hasValueSatisfying(
                        snapshot -> assertThat(snapshot.state().owner()).isEqualTo("bob"));
    }

    @Test
    @Timeout(60)
    void racing_saves_keep_the_latest_stream_version() throws Exception {
        int writers = 8;
        StreamId account = uniqueStream("account");
        CyclicBarrier start = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<Boolean>> saves = new ArrayList<>();
        try {
            for (int i = 1; i <= writers; i++) {
                long version = i * 10L;
                saves.add(pool.submit(() -> {
                    start.await();
                    return snapshots().save(snapshot(account, version, 1, version));
                }));
            }
            int stored = 0;
            for (Future<Boolean> save : saves) {
                stored += save.get() ? 1 : 0;
            }

            assertThat(stored).isBetween(1, writers);
            assertThat(snapshots().load(account, TYPE, 1, Balance.class))
                    .hasValueSatisfying(
                            snapshot -> assertThat(snapshot.streamVersion()).isEqualTo(writers * 10L));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void bad_snapshots_are_refused_naming_the_value() {
        StreamId account = uniqueStream("account");

        assertThatThrownBy(() -> new Snapshot<>(account, TYPE, 0, 1, new Balance("ada", 1), AT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("streamVersion must be >= 1, was 0");
        assertThatThrownBy(() -> new Snapshot<>(account, TYPE, 1, -1, new Balance("ada", 1), AT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schemaVersion must be >= 0, was -1");
        assertThatThrownBy(() -> snapshots().load(account, " ", 1, Balance.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("snapshot type");
    }
}
