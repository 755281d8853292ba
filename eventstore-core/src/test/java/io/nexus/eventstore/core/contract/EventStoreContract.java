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
import io.nexus.eventstore.core.StreamDeletedException;
import io.nexus.eventstore.core.StreamId;
import io.nexus.eventstore.core.WrongExpectedVersionException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
    void metadata_holds_any_json_value_and_reads_back_equal() {
        StreamId order = uniqueStream("order");
        Map<String, Object> values = Map.of(
                "user",
                "alice",
                "attempt",
                3,
                "ratio",
                0.25,
                "vip",
                true,
                "tags",
                List.of("a", "b", 7L),
                "origin",
                Map.of("ip", "10.0.0.1", "port", 8080, "nested", Map.of("deep", List.of(false))));
        NewEvent event = orderPlaced().withMetadataValues(values);

        store().append(order, ExpectedVersion.noStream(), List.of(event));

        RecordedEvent read = store().readStream(order, 1, 1).get(0);
        assertThat(read.metadataValues()).isEqualTo(event.metadataValues());
        assertThat(read.metadataValues())
                .containsEntry("attempt", 3L)
                .containsEntry("ratio", 0.25)
                .containsEntry("vip", true)
                .containsEntry("tags", List.of("a", "b", 7L))
                .containsEntry(
                        "origin", Map.of("ip", "10.0.0.1", "port", 8080L, "nested", Map.of("deep", List.of(false))));
        assertThat(read.metadata()).isEqualTo(Map.of("user", "alice"));
        assertThat(store().readAll(read.position(), 1).get(0).metadataValues()).isEqualTo(event.metadataValues());
    }

    @Test
    void string_metadata_callers_see_what_they_always_saw() {
        StreamId order = uniqueStream("order");
        NewEvent event = orderPlaced().withMetadata(Map.of("user", "alice", "tenant", "t1"));

        store().append(order, ExpectedVersion.noStream(), List.of(event));

        RecordedEvent read = store().readStream(order, 1, 1).get(0);
        assertThat(read.metadata()).isEqualTo(Map.of("user", "alice", "tenant", "t1"));
        assertThat(read.metadataValues()).isEqualTo(Map.<String, Object>of("user", "alice", "tenant", "t1"));
        assertThat(read.schemaVersion()).isEqualTo(1);
        assertThat(read.isRedacted()).isFalse();
    }

    @Test
    void metadata_that_is_not_json_is_refused_naming_the_key() {
        Throwable nullValue =
                catchThrowable(() -> orderPlaced().withMetadataValues(Collections.singletonMap("k", null)));
        Throwable object = catchThrowable(() -> orderPlaced().withMetadataValues(Map.of("when", new Object())));

        assertThat(nullValue).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'k'");
        assertThat(object)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'when'")
                .hasMessageContaining("expected a JSON value");
    }

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
        assertThat(store().streamVersion(order)).isEqualTo(4);
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
        assertThat(((DuplicateEventException) thrown).eventId()).isEqualTo(placed.eventId());
        assertThat(store().streamVersion(second)).isZero();
    }

    @Test
    void an_event_id_stored_earlier_in_the_stream_is_refused_at_the_right_version_and_nothing_is_written() {
        StreamId order = uniqueStream("order");
        NewEvent placed = orderPlaced();
        store().append(order, ExpectedVersion.noStream(), List.of(placed));
        store().append(order, ExpectedVersion.exactly(1), List.of(orderShipped()));

        Throwable thrown = catchThrowable(
                () -> store().append(order, ExpectedVersion.exactly(2), List.of(orderShipped(), placed)));

        assertThat(thrown).isInstanceOf(DuplicateEventException.class);
        assertThat(((DuplicateEventException) thrown).eventId()).isEqualTo(placed.eventId());
        assertThat(store().streamVersion(order)).isEqualTo(2);
        assertThat(store().readStream(order, 1, 10)).hasSize(2);
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

    @Test
    void a_stream_longer_than_several_pages_iterates_completely_in_order() {
        StreamId order = uniqueStream("order");
        List<NewEvent> appended = appendInBatches(order, 2_500);

        List<RecordedEvent> all = toList(store().streamEvents(order, 1, 1_000));
        List<RecordedEvent> byDefault = toList(store().streamEvents(order, 1));
        List<RecordedEvent> fromMiddle = toList(store().streamEvents(order, 1_234, 1_000));

        assertThat(all)
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, 2_500).boxed().toList());
        assertThat(all)
                .extracting(RecordedEvent::eventId)
                .containsExactlyElementsOf(
                        appended.stream().map(NewEvent::eventId).toList());
        assertThat(byDefault)
                .extracting(RecordedEvent::eventId)
                .isEqualTo(all.stream().map(RecordedEvent::eventId).toList());
        assertThat(fromMiddle)
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1_234, 2_500).boxed().toList());
    }

    @Test
    void a_stream_longer_than_several_pages_iterates_backward_from_the_end_and_from_the_middle() {
        StreamId order = uniqueStream("order");
        appendInBatches(order, 2_500);

        List<RecordedEvent> fromEnd = toList(store().streamEventsBackward(order, Long.MAX_VALUE, 1_000));
        List<RecordedEvent> fromMiddle = toList(store().streamEventsBackward(order, 1_700, 1_000));
        List<RecordedEvent> byDefault = toList(store().streamEventsBackward(order, 2_000));

        assertThat(fromEnd).extracting(RecordedEvent::streamVersion).containsExactlyElementsOf(descending(2_500));
        assertThat(fromMiddle).extracting(RecordedEvent::streamVersion).containsExactlyElementsOf(descending(1_700));
        assertThat(byDefault).extracting(RecordedEvent::streamVersion).containsExactlyElementsOf(descending(2_000));
    }

    @Test
    void a_missing_stream_and_a_start_past_the_end_iterate_nothing() {
        StreamId missing = uniqueStream("nothing");
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), orderPlaced(3));

        Iterator<RecordedEvent> empty = store().streamEvents(missing, 1, 10).iterator();

        assertThat(empty.hasNext()).isFalse();
        assertThatThrownBy(empty::next).isInstanceOf(NoSuchElementException.class);
        assertThat(store().streamEventsBackward(missing, Long.MAX_VALUE, 10)).isEmpty();
        assertThat(store().streamEvents(order, 4, 10)).isEmpty();
        assertThat(store().streamEventsBackward(order, 0, 10)).isEmpty();
        assertThat(store().allEvents(store().headPosition() + 1, EventFilter.ALL, 10))
                .isEmpty();
    }

    @Test
    void a_page_boundary_exactly_at_the_end_ends_the_iteration_after_one_empty_read() {
        StreamId order = uniqueStream(uniqueCategory());
        store().append(order, ExpectedVersion.noStream(), orderPlaced(20));
        CountingStore counting = new CountingStore(store());

        List<RecordedEvent> forward = toList(counting.streamEvents(order, 1, 10));
        int forwardReads = counting.reads.size();
        List<RecordedEvent> backward = toList(counting.streamEventsBackward(order, Long.MAX_VALUE, 10));
        int backwardReads = counting.reads.size() - forwardReads;
        List<RecordedEvent> global = toList(counting.allEvents(1, EventFilter.categories(order.category()), 10));

        assertThat(forward)
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 20).boxed().toList());
        assertThat(forwardReads).isEqualTo(3);
        assertThat(backward).extracting(RecordedEvent::streamVersion).containsExactlyElementsOf(descending(20));
        assertThat(backwardReads).isEqualTo(2);
        assertThat(global)
                .extracting(RecordedEvent::eventId)
                .isEqualTo(forward.stream().map(RecordedEvent::eventId).toList());
    }

    @Test
    void iterating_reads_lazily_one_page_at_a_time_and_may_start_again() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), orderPlaced(25));
        CountingStore counting = new CountingStore(store());
        Iterable<RecordedEvent> events = counting.streamEvents(order, 1, 10);

        Iterator<RecordedEvent> iterator = events.iterator();
        int readsBeforeUse = counting.reads.size();
        iterator.next();
        int readsAfterFirst = counting.reads.size();
        for (int i = 1; i < 10; i++) {
            iterator.next();
        }
        int readsAfterFirstPage = counting.reads.size();
        iterator.next();
        int readsAfterEleventh = counting.reads.size();
        iterator.forEachRemaining(event -> {});
        List<RecordedEvent> again = toList(events);

        assertThat(readsBeforeUse).isZero();
        assertThat(readsAfterFirst).isEqualTo(1);
        assertThat(readsAfterFirstPage).isEqualTo(1);
        assertThat(readsAfterEleventh).isEqualTo(2);
        assertThat(counting.reads)
                .containsExactly(
                        "stream 1 10", "stream 11 10", "stream 21 10", "stream 1 10", "stream 11 10", "stream 21 10");
        assertThat(again).hasSize(25);
    }

    @Test
    void the_global_order_iterates_across_pages_keeping_only_what_the_filter_asks_for() {
        long start = store().headPosition() + 1;
        String category = uniqueCategory();
        StreamId first = StreamId.of(category, 1);
        StreamId second = StreamId.of(category, 2);
        StreamId other = uniqueStream("other");
        List<UUID> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            NewEvent placed = orderPlaced();
            NewEvent shipped = orderShipped();
            store().append(first, ExpectedVersion.any(), List.of(placed));
            store().append(other, ExpectedVersion.any(), orderPlaced(2));
            store().append(second, ExpectedVersion.any(), List.of(shipped));
            expected.add(placed.eventId());
            expected.add(shipped.eventId());
        }

        List<RecordedEvent> ours = toList(store().allEvents(start, EventFilter.categories(category), 5));
        List<RecordedEvent> shipped =
                toList(store().allEvents(start, new EventFilter(Set.of("order.shipped"), Set.of(category)), 5));
        List<RecordedEvent> everything = toList(store().allEvents(start, EventFilter.ALL, 7));

        assertThat(ours).extracting(RecordedEvent::eventId).containsExactlyElementsOf(expected);
        assertThat(ours).extracting(RecordedEvent::position).isSorted().doesNotHaveDuplicates();
        assertThat(shipped).hasSize(12).allMatch(event -> event.streamId().equals(second));
        assertThat(everything)
                .extracting(RecordedEvent::position)
                .containsExactlyElementsOf(LongStream.range(start, start + everything.size())
                        .boxed()
                        .toList());
        assertThat(everything).hasSizeGreaterThanOrEqualTo(48);
    }

    @Test
    void events_appended_during_a_forward_stream_iteration_appear_until_it_has_read_the_end() {
        StreamId longer = uniqueStream("order");
        StreamId shorter = uniqueStream("order");
        store().append(longer, ExpectedVersion.noStream(), orderPlaced(25));
        store().append(shorter, ExpectedVersion.noStream(), orderPlaced(5));
        Iterator<RecordedEvent> longIterator =
                store().streamEvents(longer, 1, 10).iterator();
        Iterator<RecordedEvent> shortIterator =
                store().streamEvents(shorter, 1, 10).iterator();

        RecordedEvent firstOfLong = longIterator.next();
        RecordedEvent firstOfShort = shortIterator.next();
        store().append(longer, ExpectedVersion.exactly(25), orderPlaced(5));
        store().append(shorter, ExpectedVersion.exactly(5), orderPlaced(5));
        List<RecordedEvent> restOfLong = toList(() -> longIterator);
        List<RecordedEvent> restOfShort = toList(() -> shortIterator);

        assertThat(firstOfLong.streamVersion()).isEqualTo(1);
        assertThat(restOfLong)
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(2, 30).boxed().toList());
        assertThat(firstOfShort.streamVersion()).isEqualTo(1);
        assertThat(restOfShort).extracting(RecordedEvent::streamVersion).containsExactly(2L, 3L, 4L, 5L);
    }

    @Test
    void events_appended_during_a_backward_stream_iteration_never_appear() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), orderPlaced(25));
        Iterator<RecordedEvent> iterator =
                store().streamEventsBackward(order, Long.MAX_VALUE, 10).iterator();

        RecordedEvent first = iterator.next();
        store().append(order, ExpectedVersion.exactly(25), orderPlaced(5));
        List<RecordedEvent> rest = toList(() -> iterator);

        assertThat(first.streamVersion()).isEqualTo(25);
        assertThat(rest).extracting(RecordedEvent::streamVersion).containsExactlyElementsOf(descending(24));
    }

    @Test
    void the_global_order_iteration_ends_at_the_head_it_found_when_it_started() {
        long start = store().headPosition() + 1;
        StreamId order = uniqueStream(uniqueCategory());
        store().append(order, ExpectedVersion.noStream(), orderPlaced(25));
        Iterator<RecordedEvent> iterator = store().allEvents(start, EventFilter.categories(order.category()), 10)
                .iterator();

        RecordedEvent first = iterator.next();
        store().append(order, ExpectedVersion.exactly(25), orderPlaced(5));
        List<RecordedEvent> rest = toList(() -> iterator);
        List<RecordedEvent> again = toList(store().allEvents(start, EventFilter.categories(order.category()), 10));

        assertThat(first.streamVersion()).isEqualTo(1);
        assertThat(rest)
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(2, 25).boxed().toList());
        assertThat(again)
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 30).boxed().toList());
    }

    @RepeatedTest(3)
    @Timeout(60)
    void the_global_order_iteration_under_concurrent_appends_returns_a_prefix_without_gaps_and_ends() throws Exception {
        long start = store().headPosition() + 1;
        String category = uniqueCategory();
        StreamId before = StreamId.of(category, "before");
        store().append(before, ExpectedVersion.noStream(), orderPlaced(40));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger appendedDuring = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(4);
        List<RecordedEvent> iterated;
        try {
            CountDownLatch writing = new CountDownLatch(4);
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                StreamId stream = StreamId.of(category, "writer" + w);
                running.add(writers.submit(() -> {
                    do {
                        store().append(stream, ExpectedVersion.any(), orderPlaced(3));
                        appendedDuring.addAndGet(3);
                        writing.countDown();
                    } while (!stop.get());
                    return null;
                }));
            }
            writing.await();
            iterated = toList(store().allEvents(start, EventFilter.categories(category), 7));
            stop.set(true);
            for (Future<?> writer : running) {
                writer.get(50, TimeUnit.SECONDS);
            }
        } finally {
            writers.shutdownNow();
        }
        List<RecordedEvent> afterwards = toList(store().allEvents(start, EventFilter.categories(category), 1_000));

        assertThat(afterwards).hasSize(40 + appendedDuring.get());
        assertThat(iterated.size()).isBetween(40 + 4 * 3, afterwards.size());
        assertThat(iterated)
                .extracting(RecordedEvent::eventId)
                .containsExactlyElementsOf(afterwards.subList(0, iterated.size()).stream()
                        .map(RecordedEvent::eventId)
                        .toList());
        assertThat(iterated)
                .filteredOn(event -> event.streamId().equals(before))
                .extracting(RecordedEvent::streamVersion)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 40).boxed().toList());
    }

    @Test
    void bad_iteration_arguments_are_refused_at_the_call() {
        StreamId order = uniqueStream("order");

        assertThatThrownBy(() -> store().streamEvents(order, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("read start must be >= 0, was -1");
        assertThatThrownBy(() -> store().streamEvents(order, 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pageSize must be >= 1, was 0");
        assertThatThrownBy(() -> store().streamEventsBackward(order, -5, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was -5");
        assertThatThrownBy(() -> store().streamEventsBackward(order, Long.MAX_VALUE, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pageSize must be >= 1, was -1");
        assertThatThrownBy(() -> store().allEvents(-1, EventFilter.ALL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("read start must be >= 0, was -1");
        assertThatThrownBy(() -> store().allEvents(1, EventFilter.ALL, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pageSize must be >= 1, was 0");
        assertThatThrownBy(() -> store().streamEvents(null, 1))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("streamId");
        assertThatThrownBy(() -> store().allEvents(1, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("filter");
    }

    /** Appends {@code count} events in batches of 500; returns them in order. */
    private List<NewEvent> appendInBatches(StreamId stream, int count) {
        List<NewEvent> appended = new ArrayList<>();
        while (appended.size() < count) {
            List<NewEvent> batch = orderPlaced(Math.min(500, count - appended.size()));
            store().append(stream, ExpectedVersion.exactly(appended.size()), batch);
            appended.addAll(batch);
        }
        return appended;
    }

    private static List<Long> descending(long from) {
        return LongStream.iterate(from, v -> v >= 1, v -> v - 1).boxed().toList();
    }

    @Test
    void a_deleted_stream_refuses_reads_and_appends_naming_its_version_and_time() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), List.of(orderPlaced(), orderShipped()));
        Instant before = Instant.now().minusSeconds(60);

        store().deleteStream(order, ExpectedVersion.exactly(2));

        for (ThrowingCallable call : List.<ThrowingCallable>of(
                () -> store().readStream(order, 1, 10),
                () -> store().readStreamBackward(order, Long.MAX_VALUE, 10),
                () -> store().streamVersion(order),
                () -> toList(store().streamEvents(order, 1)),
                () -> store().append(order, ExpectedVersion.exactly(2), List.of(orderShipped())),
                () -> store().append(order, ExpectedVersion.any(), List.of(orderShipped())),
                () -> store().append(order, ExpectedVersion.noStream(), List.of(orderShipped())),
                () -> store().deleteStream(order, ExpectedVersion.any()))) {
            Throwable thrown = catchThrowable(call);
            assertThat(thrown)
                    .isInstanceOf(StreamDeletedException.class)
                    .hasMessageContaining(order.value())
                    .hasMessageContaining("version 2");
            StreamDeletedException deleted = (StreamDeletedException) thrown;
            assertThat(deleted.streamId()).isEqualTo(order);
            assertThat(deleted.deletedVersion()).isEqualTo(2);
            assertThat(deleted.deletedAt())
                    .isAfter(before)
                    .isBefore(Instant.now().plusSeconds(60));
        }
    }

    @Test
    void a_refused_append_to_a_deleted_stream_writes_nothing_and_its_events_stay_in_the_global_order() {
        StreamId order = uniqueStream("order");
        NewEvent placed = orderPlaced();
        store().append(order, ExpectedVersion.noStream(), List.of(placed));
        store().deleteStream(order, ExpectedVersion.any());
        NewEvent late = orderShipped();

        Throwable thrown = catchThrowable(() -> store().appendAll(List.of(
                StreamAppend.of(uniqueStream("other"), ExpectedVersion.any(), List.of(orderPlaced())),
                StreamAppend.of(order, ExpectedVersion.any(), List.of(late)))));

        assertThat(thrown).isInstanceOf(StreamDeletedException.class);
        List<UUID> all = readAllFrom(1).stream().map(RecordedEvent::eventId).toList();
        assertThat(all).contains(placed.eventId()).doesNotContain(late.eventId());
    }

    @Test
    void deleting_with_a_wrong_expected_version_is_refused_and_the_stream_stays_readable() {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), List.of(orderPlaced()));

        Throwable exactly = catchThrowable(() -> store().deleteStream(order, ExpectedVersion.exactly(5)));
        Throwable noStream = catchThrowable(() -> store().deleteStream(order, ExpectedVersion.noStream()));

        assertThat(exactly).isInstanceOf(WrongExpectedVersionException.class);
        assertThat(((WrongExpectedVersionException) exactly).actualVersion()).isEqualTo(1);
        assertThat(noStream).isInstanceOf(WrongExpectedVersionException.class);
        assertThat(store().readStream(order, 1, 10)).hasSize(1);
        store().append(order, ExpectedVersion.exactly(1), List.of(orderShipped()));
        assertThat(store().streamVersion(order)).isEqualTo(2);
    }

    @Test
    void deleting_a_stream_that_never_existed_reserves_its_name_unless_the_caller_expected_it_to_exist() {
        StreamId reserved = uniqueStream("order");
        StreamId missing = uniqueStream("order");

        store().deleteStream(reserved, ExpectedVersion.noStream());
        Throwable exists = catchThrowable(() -> store().deleteStream(missing, ExpectedVersion.streamExists()));

        assertThatThrownBy(() -> store().append(reserved, ExpectedVersion.noStream(), List.of(orderPlaced())))
                .isInstanceOf(StreamDeletedException.class)
                .hasMessageContaining("version 0");
        assertThat(exists).isInstanceOf(WrongExpectedVersionException.class);
        store().append(missing, ExpectedVersion.noStream(), List.of(orderPlaced()));
        assertThat(store().streamVersion(missing)).isEqualTo(1);
    }

    @RepeatedTest(3)
    @Timeout(30)
    void racing_deletes_and_appends_leave_either_the_append_or_the_tombstone_never_both_unseen() throws Exception {
        StreamId order = uniqueStream("order");
        store().append(order, ExpectedVersion.noStream(), List.of(orderPlaced()));
        int appenders = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(appenders + 1);
        try {
            List<Future<Long>> appends = new ArrayList<>();
            for (int i = 0; i < appenders; i++) {
                appends.add(pool.submit(() -> {
                    start.await();
                    try {
                        return store().append(order, ExpectedVersion.any(), List.of(orderShipped()))
                                .nextExpectedVersion();
                    } catch (StreamDeletedException e) {
                        return -1L;
                    }
                }));
            }
            Future<?> delete = pool.submit(() -> {
                start.await();
                store().deleteStream(order, ExpectedVersion.any());
                return null;
            });
            start.countDown();
            delete.get();
            List<Long> versions = new ArrayList<>();
            for (Future<Long> append : appends) {
                versions.add(append.get());
            }

            long succeeded = versions.stream().filter(v -> v > 0).count();
            Throwable thrown = catchThrowable(() -> store().streamVersion(order));
            assertThat(thrown).isInstanceOf(StreamDeletedException.class);
            assertThat(((StreamDeletedException) thrown).deletedVersion()).isEqualTo(1 + succeeded);
            assertThat(versions.stream().filter(v -> v > 0)).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
    }

    private static String uniqueCategory() {
        return "c" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static List<RecordedEvent> toList(Iterable<RecordedEvent> events) {
        List<RecordedEvent> list = new ArrayList<>();
        events.forEach(list::add);
        return list;
    }

    /** A store that records each page read the lazily paged reads make, and passes everything on. */
    private static final class CountingStore implements EventStore {
        private final EventStore delegate;
        final List<String> reads = Collections.synchronizedList(new ArrayList<>());

        CountingStore(EventStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public AppendResult append(StreamId streamId, ExpectedVersion expectedVersion, List<NewEvent> events) {
            return delegate.append(streamId, expectedVersion, events);
        }

        @Override
        public List<AppendResult> appendAll(List<StreamAppend> appends) {
            return delegate.appendAll(appends);
        }

        @Override
        public void deleteStream(StreamId streamId, ExpectedVersion expectedVersion) {
            delegate.deleteStream(streamId, expectedVersion);
        }

        @Override
        public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int maxCount) {
            reads.add("stream " + fromVersion + " " + maxCount);
            return delegate.readStream(streamId, fromVersion, maxCount);
        }

        @Override
        public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int maxCount) {
            reads.add("backward " + fromVersion + " " + maxCount);
            return delegate.readStreamBackward(streamId, fromVersion, maxCount);
        }

        @Override
        public long streamVersion(StreamId streamId) {
            return delegate.streamVersion(streamId);
        }

        @Override
        public List<RecordedEvent> readAll(long fromPosition, int maxCount, EventFilter filter) {
            reads.add("all " + fromPosition + " " + maxCount);
            return delegate.readAll(fromPosition, maxCount, filter);
        }

        @Override
        public List<RecordedEvent> readAllUpTo(long fromPosition, long toPosition, int maxCount, EventFilter filter) {
            reads.add("all " + fromPosition + " " + maxCount);
            return delegate.readAllUpTo(fromPosition, toPosition, maxCount, filter);
        }

        @Override
        public long headPosition() {
            return delegate.headPosition();
        }

        @Override
        public Optional<Long> positionOf(long commitId) {
            return delegate.positionOf(commitId);
        }
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
