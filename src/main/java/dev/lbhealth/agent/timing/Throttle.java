package dev.lbhealth.agent.timing;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How often something may happen, as a token bucket on the agent's clock: {@code burst} times back
 * to back, then once per {@code interval}, so that over any time T it happens at most
 * T / interval + burst times however often it is asked for. The one throttle of the agent: reloads
 * (burst 2: a pod move's "old node out, new node in" pair), the file brought in line after live
 * switches, STATUS= to systemd, and bringing a vanished HAProxy back (burst 1 each). An interval of
 * zero never holds. Thread-safe: a writer may spend on a worker while the agent's context asks.
 */
public final class Throttle {
  /** Monotonic nanoseconds: {@link Timers#nowNanos} of the agent's timers, or System::nanoTime. */
  private final LongSupplier clock;
  private final long intervalNanos;
  private final int burst;
  private double tokens;
  private long updatedNanos;

  public Throttle(LongSupplier clock, Duration interval, int burst) {
    this.clock = clock;
    this.intervalNanos = interval.toNanos();
    this.burst = burst;
    this.tokens = burst;
    this.updatedNanos = clock.getAsLong();
  }

  /** How long until it may happen; 0 when it may happen now. */
  public synchronized long waitMillis() {
    refill();
    return tokens >= 1 || intervalNanos == 0 ? 0 : (long) Math.ceil((1 - tokens) * intervalNanos / 1e6);
  }

  /** It happened (whether or not it was allowed: a forced one still counts). */
  public synchronized void spend() {
    refill();
    tokens = Math.max(0, tokens - 1);
  }

  /** Spends and returns true if it may happen now, else returns false and spends nothing. */
  public synchronized boolean tryNow() {
    if (waitMillis() > 0) {
      return false;
    }
    spend();
    return true;
  }

  private void refill() {
    long now = clock.getAsLong();
    if (intervalNanos > 0) {
      tokens = Math.min(burst, tokens + (double) (now - updatedNanos) / intervalNanos);
    }
    updatedNanos = now;
  }
}
