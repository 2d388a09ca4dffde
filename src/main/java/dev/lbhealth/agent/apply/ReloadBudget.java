package dev.lbhealth.agent.apply;

import java.time.Duration;

/**
 * A reload budget as a token bucket: {@link #BURST} reloads may go back to back (a pod move's
 * "old node out, new node in" pair), and one more per interval after that, so that over any time
 * T there are at most T / interval + BURST reloads however often a node flaps. Thread-safe: the
 * writer spends on a worker, the monitor asks on the agent's context.
 */
final class ReloadBudget {
  static final int BURST = 2;

  private final long intervalNanos;
  private double tokens = BURST;
  private long updatedNanos = System.nanoTime();

  ReloadBudget(Duration interval) {
    this.intervalNanos = interval.toNanos();
  }

  /** How long until a reload may go; 0 when it may go now. */
  synchronized long holdMillis() {
    refill();
    return tokens >= 1 || intervalNanos == 0 ? 0 : (long) Math.ceil((1 - tokens) * intervalNanos / 1e6);
  }

  /** A reload ran. */
  synchronized void spend() {
    refill();
    tokens = Math.max(0, tokens - 1);
  }

  private void refill() {
    long now = System.nanoTime();
    if (intervalNanos > 0) {
      tokens = Math.min(BURST, tokens + (double) (now - updatedNanos) / intervalNanos);
    }
    updatedNanos = now;
  }
}
