package io.nexus.benchmarks;

/**
 * How much work a run does.
 *
 * @param warmUpRounds untimed rounds per side before measuring
 * @param rounds measured rounds per side
 * @param batchesPerRound batch append: 100-event appends per round
 * @param singleAppendsPerRound single append, one writer: appends per round
 * @param appendsPerWriterPerRound single append, 16 writers: appends per writer per round
 * @param streamReadsPerRound read one stream: full reads of the 1,000-event stream per round
 * @param catchUpEvents catch-up: events in each store (Nexus and raw) before it is read from the start
 * @param catchUpRounds catch-up: measured rounds per side (each reads every event)
 * @param pageSize catch-up: events per page (Nexus) and fetch size (raw); projection rebuild: events per batch
 * @param latencyEvents commit → handler: events emitted one at a time in the measured round (a fifth of that in the
 *     warm-up round)
 * @param rebuildRounds projection rebuild: measured rebuilds of the catch-up store (after one warm-up in quick runs)
 */
record Sizes(
        int warmUpRounds,
        int rounds,
        int batchesPerRound,
        int singleAppendsPerRound,
        int appendsPerWriterPerRound,
        int streamReadsPerRound,
        int catchUpEvents,
        int catchUpRounds,
        int pageSize,
        int latencyEvents,
        int rebuildRounds) {

    /** The full run: a few minutes on two cores, rounds of about a second, one million events for catch-up. */
    static Sizes full() {
        return new Sizes(2, 7, 300, 2_000, 500, 100, 1_000_000, 3, 1_000, 500, 2);
    }

    /** The CI-sized smoke run: seconds, small counts; its numbers mean nothing. */
    static Sizes quick() {
        return new Sizes(1, 2, 3, 20, 3, 2, 5_000, 1, 1_000, 20, 1);
    }
}
