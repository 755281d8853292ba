package io.nexus.eventstore.core.contract;

import static io.nexus.eventstore.core.contract.TestEvents.orderPlaced;
import static io.nexus.eventstore.core.contract.TestEvents.orderShipped;
import static io.nexus.eventstore.core.contract.TestEvents.uniqueStream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.nexus.eventstore.core.AppendResult;
import io.nexus.eventstore.core.DuplicateEventException;
import io.nexus.eventstore.core.EventFilter;
import io.nexus.eventstore.core.EventStore;
import io.nexus.eventstore.core.ExpectedVersion;
import io.nexus.eventstore.core.NewEvent;
import io.nexus.eventstore.core.RecordedEvent;
import io.nexus.eventstore.core.StreamAppend;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.WrongExpectedVersionException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link EventStore} implementation shares. A test class extends it and supplies the store.
 */
public abstract class EventStoreContract {

    /** The store under test; each call may return the same instance. */
    protected abstract EventStore store();

    @Test
    void appended_events_read_back_in_version_order_with_their_envelope() {
        StreamId order = uniqueStream("order");
        UUID correlation = UUID.randomUUID();
        NewEvent placed = orderPlaced()
                .withMetadata(Map.of("user", "alice"))
                .withCorrelationId(correlation)
                .withSource("shop");
        NewEvent shipped = orderShipped().withCausationId(placed.eventId());

        AppendResult result = store().append(order, ExpectedVersion.noStream(), List.of(placed, shipped));

        assertThat(result.firstVersion()).isEqualTo(1);
        assertThat(result.nextExpectedVersion()).isEqualTo(2);
        List<RecordedEvent> read = store().readStream(order, 1, 10);
        assertThat(read).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L);
        assertThat(read).extracting(RecordedEvent::eventId).containsExactly(placed.eventId(), shipped.eventId());
        assertThat(read.get(0).data()).isEqualTo(placed.data());
        assertThat(read.get(0).type()).isEqualTo("order.placed");
        assertThat(read.get(0).metadata()).containsEntry("user", "alice");
        assertThat(read.get(0).correlationId()).isEqualTo(correlation);
        assertThat(read.get(0).source()).isEqualTo("shop");
        assertThat(read.get(1).causationId()).isEqualTo(placed.eventId());
        assertThat(read.get(1).position()).isGreaterThan(read.get(0).position());
    }

    @Test
    void a_missing_stream_reads_empty_at_version_zero() {
        StreamId missing = uniqueStream("nothing");

        assertThat(store().readStream(missing, 1, 10)).isEmpty();
        assertThat(store().readStreamBackward(missing, Long.MAX_VALUE, 10)).isEmpty();
        assertThat(store().streamVersion(missing)).isZero();
        assertThat(store().streamExists(missing)).isFalse();
    }

    @Test
    void a_stream_reads_forward_and_backward_in_pages() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), orderPlaced(7));

        List<RecordedEvent> forward = store().readStream(order, 3, 3);
        List<RecordedEvent> backward = store().readStreamBackward(order, Long.MAX_VALUE, 3);
        List<RecordedEvent> backwardFrom = store().readStreamBackward(order, 2, 5);

        assertThat(forward).extracting(RecordedEvent::streamVersion).containsExactly(3L, 4L, 5L);
        assertThat(backward).extracting(RecordedEvent::streamVersion).containsExactly(7L, 6L, 5L);
        assertThat(backwardFrom).extracting(RecordedEvent::streamVersion).containsExactly(2L, 1L);
        assertThat(store().streamVersion(order)).isEqualTo(7);
        assertThat(store().streamExists(order)).isTrue();
    }

    @Test
    void no_stream_is_accepted_only_for_a_new_stream() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), List.of(orderPlaced()));

        Throwable thrown =
                catchThrowable(() -> store().append(order, ExpectedVersion.noStream(), List.of(orderShipped())));

        assertThat(thrown).isInstanceOf(WrongExpectedVersionException.class);
        WrongExpectedVersionException conflict = (WrongExpectedVersionException) thrown;
        assertThat(conflict.streamId()).isEqualTo(order);
        assertThat(conflict.expectedVersion()).isEqualTo(ExpectedVersion.noStream());
        assertThat(conflict.actualVersion()).isEqualTo(1);
        assertThat(conflict.getMessage())
                .contains(order.value())
                .contains("NoStream")
                .contains("version 1");
        assertThat(store().readStream(order, 1, 10)).hasSize(1);
    }

    @Test
    void stream_exists_is_refused_for_a_new_stream_and_accepted_for_an_existing_one() {
        StreamId order = uniqueStream("order");

        Throwable thrown =
                catchThrowable(() -> store().append(order, ExpectedVersion.streamExists(), List.of(orderPlaced())));
        store().append(order, ExpectedVersion.any(), List.of(orderPlaced()));
        AppendResult second = store().append(order, ExpectedVersion.streamExists(), List.of(orderShipped()));

        assertThat(thrown).isInstanceOf(WrongExpectedVersionException.class);
        assertThat(((WrongExpectedVersionException) thrown).actualVersion()).isZero();
        assertThat(second.firstVersion()).isEqualTo(2);
    }

    @Test
    void an_exact_version_must_match_the_stream() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.exactly(0), orderPlaced(2));

        Throwable stale =
                catchThrowable(() -> store().append(order, ExpectedVersion.exactly(1), List.of(orderShipped())));
        Throwable ahead =
                catchThrowable(() -> store().append(order, ExpectedVersion.exactly(3), List.of(orderShipped())));
        AppendResult ok = store().append(order, ExpectedVersion.exactly(2), List.of(orderShipped()));

        assertThat(stale).isInstanceOf(WrongExpectedVersionException.class).hasMessageContaining("version 2");
        assertThat(ahead).isInstanceOf(WrongExpectedVersionException.class);
        assertThat(ok.firstVersion()).isEqualTo(3);
        assertThat(ok.nextExpectedVersion()).isEqualTo(3);
        assertThat(store().streamVersion(order)).isEqualTo(3);
    }

    @Test
    void re_sending_the_same_events_with_the_same_expected_version_returns_the_original_result() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), List.of(orderPlaced()));
        List<NewEvent> batch = List.of(orderShipped(), orderShipped());
        AppendResult original = store().append(order, ExpectedVersion.exactly(1), batch);
        store().append(order, ExpectedVersion.any(), List.of(orderShipped()));

        AppendResult exactAgain = store().append(order, ExpectedVersion.exactly(1), batch);
        AppendResult anyAgain = store().append(order, ExpectedVersion.any(), batch);
        AppendResult existsAgain = store().append(order, ExpectedVersion.streamExists(), batch);

        assertThat(exactAgain).isEqualTo(original);
        assertThat(anyAgain).isEqualTo(original);
        assertThat(existsAgain).isEqualTo(original);
        assertThat(store().readStream(order, 1, 100)).hasSize(4);
    }

    @Test
    void re_sending_a_first_append_with_no_stream_returns_the_original_result() {
        StreamId order = uniqueStream("order");
        List<NewEvent> batch = orderPlaced(3);
        AppendResult original = store().append(order, ExpectedVersion.noStream(), batch);

        AppendResult again = store().append(order, ExpectedVersion.noStream(), batch);

        assertThat(again).isEqualTo(original);
        assertThat(store().streamVersion(order)).isEqualTo(3);
    }

    @Test
    void the_same_event_id_with_different_content_is_refused() {
        StreamId order = uniqueStream("order");
        NewEvent placed = orderPlaced();
        store().append(order, ExpectedVersion.noStream(), List.of(placed));
        NewEvent impostor = orderShipped().withEventId(placed.eventId());

        Throwable thrown = catchThrowable(() -> store().append(order, ExpectedVersion.noStream(), List.of(impostor)));

        assertThat(thrown)
                .isInstanceOf(DuplicateEventException.class)
                .hasMessageContaining(placed.eventId().toString());
        assertThat(((DuplicateEventException) thrown).eventId()).isEqualTo(placed.eventId());
        assertThat(store().readStream(order, 1, 10))
                .extracting(RecordedEvent::type)
                .containsExactly("order.placed");
    }

    @Test
    void an_event_id_stored_in_another_stream_is_refused_and_nothing_is_written() {
        StreamId first = uniqueStream("order");
        StreamId second = uniqueStream("order");
        NewEvent placed = orderPlaced();
        store().append(first, ExpectedVersion.any(), List.of(placed));

        Throwable thrown =
                catchThrowable(() -> store().append(second, ExpectedVersion.any(), List.of(orderPlaced(), placed)));

        assertThat(thrown).isInstanceOf(DuplicateEventException.class);
        assertThat(store().streamVersion(second)).isZero();
    }

    @Test
    void a_batch_repeating_an_event_id_is_refused() {
        StreamId order = uniqueStream("order");
        NewEvent placed = orderPlaced();

        Throwable thrown = catchThrowable(() -> store().append(order, ExpectedVersion.any(), List.of(placed, placed)));

        assertThat(thrown).isInstanceOf(DuplicateEventException.class);
        assertThat(store().streamVersion(order)).isZero();
    }

    @Test
    void an_append_to_several_streams_is_atomic() {
        StreamId a = uniqueStream("order");
        StreamId b = uniqueStream("invoice");
        store().append(b, ExpectedVersion.noStream(), List.of(orderPlaced()));

        Throwable thrown = catchThrowable(() -> store().appendAll(List.of(
                StreamAppend.of(a, ExpectedVersion.noStream(), List.of(orderPlaced())),
                StreamAppend.of(b, ExpectedVersion.noStream(), List.of(orderShipped())))));
        List<AppendResult> results = store().appendAll(List.of(
                StreamAppend.of(a, ExpectedVersion.noStream(), List.of(orderPlaced())),
                StreamAppend.of(b, ExpectedVersion.exactly(1), orderPlaced(2))));

        assertThat(thrown).isInstanceOf(WrongExpectedVersionException.class).hasMessageContaining(b.value());
        assertThat(results).extracting(AppendResult::streamId).containsExactly(a, b);
        assertThat(results.get(1).nextExpectedVersion()).isEqualTo(3);
        assertThat(store().streamVersion(a)).isEqualTo(1);
        assertThat(store().streamVersion(b)).isEqualTo(3);
    }

    @Test
    void the_global_order_holds_every_event_once_with_contiguous_positions() {
        long start = store().headPosition() + 1;
        StreamId a = uniqueStream("order");
        StreamId b = uniqueStream("invoice");
        store().append(a, ExpectedVersion.any(), orderPlaced(3));
        store().append(b, ExpectedVersion.any(), List.of(orderShipped()));
        store().append(a, ExpectedVersion.any(), List.of(orderShipped()));

        List<RecordedEvent> page = readAllFrom(start);

        List<RecordedEvent> ours = page.stream()
                .filter(e -> e.streamId().equals(a) || e.streamId().equals(b))
                .toList();
        assertThat(ours).hasSize(5);
        assertThat(ours)
                .extracting(e -> e.streamId().value() + "@" + e.streamVersion())
                .containsExactly(a + "@1", a + "@2", a + "@3", b + "@1", a + "@4");
        assertThat(page)
                .extracting(RecordedEvent::position)
                .containsExactlyElementsOf(
                        LongStream.range(start, start + page.size()).boxed().toList());
        assertThat(store().headPosition()).isGreaterThanOrEqualTo(ours.get(4).position());
    }

    @Test
    void reading_the_global_order_from_a_position_starts_there() {
        StreamId a = uniqueStream("order");
        store().append(a, ExpectedVersion.any(), orderPlaced(5));
        List<RecordedEvent> ours = store().readStream(a, 1, 5);
        long third = readAllFrom(1).stream()
                .filter(e -> e.eventId().equals(ours.get(2).eventId()))
                .findFirst()
                .orElseThrow()
                .position();

        List<RecordedEvent> page = store().readAll(third, 2);

        assertThat(page)
                .extracting(RecordedEvent::eventId)
                .containsExactly(ours.get(2).eventId(), ours.get(3).eventId());
    }

    @Test
    void a_filtered_read_keeps_only_the_types_and_categories_asked_for() {
        long start = store().headPosition() + 1;
        StreamId order = uniqueStream("filtered");
        StreamId other = uniqueStream("unfiltered");
        store().append(order, ExpectedVersion.any(), List.of(orderPlaced(), orderShipped(), orderPlaced()));
        store().append(other, ExpectedVersion.any(), List.of(orderShipped()));

        List<RecordedEvent> shipped = store().readAll(start, 100, EventFilter.types("order.shipped"));
        List<RecordedEvent> filtered = store().readAll(start, 100, EventFilter.categories("filtered"));

        assertThat(shipped).extracting(RecordedEvent::streamId).containsExactly(order, other);
        assertThat(filtered).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L, 3L);
    }

    @Test
    void reading_up_to_a_known_head_stops_there_filtered_or_not() {
        long start = store().headPosition() + 1;
        StreamId order = uniqueStream("upto");
        store().append(order, ExpectedVersion.noStream(), List.of(orderPlaced(), orderShipped(), orderPlaced()));
        long head = store().headPosition();
        store().append(order, ExpectedVersion.exactly(3), List.of(orderShipped(), orderPlaced()));
        store().headPosition();

        List<RecordedEvent> all = store().readAllUpTo(start, head, 100, EventFilter.ALL);
        List<RecordedEvent> shipped = store().readAllUpTo(start, head, 100, EventFilter.types("order.shipped"));
        List<RecordedEvent> capped = store().readAllUpTo(start, head + 2, 4, EventFilter.categories("upto"));

        assertThat(all).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L, 3L);
        assertThat(shipped).extracting(RecordedEvent::streamVersion).containsExactly(2L);
        assertThat(capped).extracting(RecordedEvent::streamVersion).containsExactly(1L, 2L, 3L, 4L);
        assertThat(store().readAllUpTo(start + 1, start, 10, EventFilter.ALL)).isEmpty();
        assertThatThrownBy(() -> store().readAllUpTo(-1, head, 10, EventFilter.ALL))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void an_append_result_resolves_to_the_position_of_its_last_event() {
        StreamId order = uniqueStream("order");
        AppendResult result = store().append(order, ExpectedVersion.any(), orderPlaced(3));
        readAllFrom(store().headPosition());

        long position = store().positionOf(result.commitId()).orElseThrow();

        RecordedEvent last = store().readAll(position, 1).get(0);
        assertThat(last.streamId()).isEqualTo(order);
        assertThat(last.streamVersion()).isEqualTo(3);
    }

    @Test
    void bad_batches_are_refused_before_anything_is_written() {
        StreamId order = uniqueStream("order");
        List<NewEvent> withNull = new ArrayList<>();
        withNull.add(orderPlaced());
        withNull.add(null);

        assertThatThrownBy(() -> store().append(order, ExpectedVersion.any(), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one event");
        assertThatThrownBy(() -> store().append(order, ExpectedVersion.any(), withNull))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("event 1");
        assertThatThrownBy(() -> store().readStream(order, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().appendAll(List.of(
                        StreamAppend.of(order, ExpectedVersion.any(), List.of(orderPlaced())),
                        StreamAppend.of(order, ExpectedVersion.any(), List.of(orderPlaced())))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
        assertThat(store().streamVersion(order)).isZero();
    }

    @RepeatedTest(3)
    @Timeout(60)
    void racing_exact_appends_have_exactly_one_winner() throws Exception {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), List.of(orderPlaced()));

        List<Object> outcomes =
                race(16, () -> store().append(order, ExpectedVersion.exactly(1), List.of(orderShipped())));

        assertThat(outcomes).filteredOn(AppendResult.class::isInstance).hasSize(1);
        assertThat(outcomes)
                .filteredOn(WrongExpectedVersionException.class::isInstance)
                .hasSize(15);
        assertThat(store().readStream(order, 1, 100))
                .extracting(RecordedEvent::streamVersion)
                .containsExactly(1L, 2L);
    }

    @RepeatedTest(3)
    @Timeout(60)
    void racing_no_stream_appends_have_exactly_one_winner() throws Exception {
        StreamId order = uniqueStream("order");

        List<Object> outcomes = race(16, () -> store().append(order, ExpectedVersion.noStream(), orderPlaced(2)));

        assertThat(outcomes).filteredOn(AppendResult.class::isInstance).hasSize(1);
        assertThat(outcomes)
                .filteredOn(WrongExpectedVersionException.class::isInstance)
                .hasSize(15);
        assertThat(store().streamVersion(order)).isEqualTo(2);
    }

    @RepeatedTest(3)
    @Timeout(60)
    void racing_any_appends_all_succeed_without_holes() throws Exception {
        StreamId order = uniqueStream("order");

        List<Object> outcomes = race(16, () -> store().append(order, ExpectedVersion.any(), orderPlaced(2)));

        assertThat(outcomes).allMatch(AppendResult.class::isInstance);
        assertThat(store().readStream(order, 1, 100))
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 32).boxed().toList());
    }

    @RepeatedTest(3)
    @Timeout(60)
    void racing_stream_exists_appends_all_succeed_on_an_existing_stream_and_all_fail_on_a_new_one() throws Exception {
        StreamId existing = uniqueStream("order");
        StreamId fresh = uniqueStream("order");
        store().append(existing, ExpectedVersion.noStream(), List.of(orderPlaced()));

        List<Object> onExisting =
                race(16, () -> store().append(existing, ExpectedVersion.streamExists(), List.of(orderShipped())));
        List<Object> onFresh =
                race(16, () -> store().append(fresh, ExpectedVersion.streamExists(), List.of(orderShipped())));

        assertThat(onExisting).allMatch(AppendResult.class::isInstance);
        assertThat(onFresh).allMatch(WrongExpectedVersionException.class::isInstance);
        assertThat(store().readStream(existing, 1, 100))
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 17).boxed().toList());
        assertThat(store().streamVersion(fresh)).isZero();
    }

    /** Every page of the global order from {@code start} to the end. */
    protected List<RecordedEvent> readAllFrom(long start) {
        List<RecordedEvent> all = new ArrayList<>();
        long from = Math.max(start, 1);
        while (true) {
            List<RecordedEvent> page = store().readAll(from, 500);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            from = page.get(page.size() - 1).position() + 1;
        }
    }

    /** Runs {@code action} on {@code threads} threads released together; returns each result or exception. */
    protected static List<Object> race(int threads, Callable<?> action) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Object>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    try {
                        return action.call();
                    } catch (RuntimeException e) {
                        return e;
                    }
                }));
            }
            ready.await();
            go.countDown();
            List<Object> outcomes = Collections.synchronizedList(new ArrayList<>());
            for (Future<Object> future : futures) {
                outcomes.add(future.get(50, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
