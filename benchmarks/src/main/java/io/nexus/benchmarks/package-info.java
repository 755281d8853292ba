/**
 * The Nexus benchmarks: a plain harness ({@link io.nexus.benchmarks.BenchmarkCommand}) that runs each {@link
 * io.nexus.benchmarks.Workload} through warm-up and measured rounds, Nexus beside a raw-JDBC baseline on a minimal table
 * that any event store must write and read (not one shaped by Nexus's design), and reports medians, spreads and the Nexus/raw ratio as a table and JSON.
 */
@NullMarked
package io.nexus.benchmarks;

import org.jspecify.annotations.NullMarked;
