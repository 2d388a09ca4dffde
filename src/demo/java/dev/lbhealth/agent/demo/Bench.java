package dev.lbhealth.agent.demo;

import io.vertx.core.Future;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** What the benchmarks share: waiting on a condition, percentiles, awaiting a future. */
final class Bench {
  private Bench() {}

  interface Check {
    boolean ok() throws Exception;
  }

  /**
   * Polls every 0.1 ms: fine enough to time millisecond changes, without taking a whole core
   * from the agent on a 2-core machine.
   */
  static void waitUntil(Check check, long timeoutMs) throws Exception {
    waitUntil(check, timeoutMs, 100_000);
  }

  /** Polls every {@code everyNanos}: for a check that costs the measured side work of its own. */
  static void waitUntil(Check check, long timeoutMs, long everyNanos) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("condition not met within " + timeoutMs + " ms");
      }
      LockSupport.parkNanos(everyNanos);
    }
  }

  /** The p-th percentile of the nanosecond figures, in milliseconds. */
  static double pct(long[] nanos, int p) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int i = Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  /**
   * A pause that is part of the scenario being acted (a grace period, the time between pod
   * moves), never a wait for a condition: those go through {@link #waitUntil}.
   */
  static void pause(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
