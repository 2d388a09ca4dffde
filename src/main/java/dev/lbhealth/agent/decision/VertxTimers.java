package dev.lbhealth.agent.decision;

import io.vertx.core.Vertx;

/**
 * Timers on Vert.x: actions run on the context that set them. {@link #watchStalls} starts a tick
 * every {@link #TICK_MS} on the calling context; a gap of more than {@link #STALL_MS} between two
 * ticks is a stall of that context (the whole JVM in a GC pause, or the event loop blocked).
 */
public final class VertxTimers implements Timers {
  static final long TICK_MS = 20;
  public static final long STALL_MS = 100;
  private final Vertx vertx;
  private volatile long lastTickMillis = nowMillisStatic();
  private volatile long lastStallEndMillis = Long.MIN_VALUE;
  private volatile long lastStallMillis;
  private final java.util.concurrent.atomic.AtomicLong stalls = new java.util.concurrent.atomic.AtomicLong();

  public VertxTimers(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Starts the stall watch on the calling context (the one the probes run on). */
  public void watchStalls() {
    lastTickMillis = nowMillis();
    vertx.setPeriodic(TICK_MS, id -> {
      long now = nowMillis();
      long gap = now - lastTickMillis;
      if (gap > STALL_MS) {
        lastStallEndMillis = now;
        lastStallMillis = gap;
        stalls.incrementAndGet();
      }
      lastTickMillis = now;
    });
  }

  @Override
  public boolean stalledSince(long sinceMillis) {
    return lastStallEndMillis >= sinceMillis || nowMillis() - lastTickMillis > STALL_MS;
  }

  /** When the last stall ended (monotonic millis, as {@link #nowMillis}), or Long.MIN_VALUE. */
  public long lastStallEndMillis() {
    return lastStallEndMillis;
  }

  /** How long the last stall lasted. */
  public long lastStallMillis() {
    return lastStallMillis;
  }

  public long stalls() {
    return stalls.get();
  }

  private static long nowMillisStatic() {
    return System.nanoTime() / 1_000_000;
  }

  @Override
  public long nowMillis() {
    return System.nanoTime() / 1_000_000;
  }

  @Override
  public long setTimer(long delayMillis, Runnable action) {
    return vertx.setTimer(Math.max(1, delayMillis), id -> action.run());
  }

  @Override
  public void cancelTimer(long id) {
    vertx.cancelTimer(id);
  }
}
