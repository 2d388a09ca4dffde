package dev.lbhealth.agent.status;

import dev.lbhealth.agent.timing.VertxTimers;

/**
 * Whether the agent is overloaded: its event loop stalled (a GC pause, a blocked loop) within the
 * last 30 s. Stalls while it starts, and for a short while after it is ready, are the JVM warming
 * up (classes loading, the first compiles: 120-170 ms once at every start), not an overload.
 */
public final class Overload {
  /** Stalls that end within this long after the agent is ready are part of its start. */
  public static final long WARM_UP_GRACE_MS = 2_000;

  private final VertxTimers timers;
  /** An overload is reported this long after it ended. */
  private volatile long memoryMs = 30_000;
  /** Stalls that ended up to this time (the timers' clock) are part of the start; Long.MAX_VALUE until ready. */
  private volatile long warmUpEndMillis = Long.MAX_VALUE;

  public Overload(VertxTimers timers) {
    this.timers = timers;
  }

  /** The agent is ready: stalls that end after the grace from now are overloads. */
  public void ready() {
    warmUpEndMillis = timers.nowMillis() + WARM_UP_GRACE_MS;
  }

  /** Whether the start is over: a stall from now on is an overload. */
  public boolean pastWarmUp() {
    return timers.nowMillis() > warmUpEndMillis;
  }

  /** How long an overload is remembered after it ended (tests shorten it). */
  public void rememberFor(long millis) {
    memoryMs = millis;
  }

  /** Why the agent counts as overloaded now, or null. */
  public String warning() {
    long end = timers.lastStallEndMillis();
    long now = timers.nowMillis();
    if (end == Long.MIN_VALUE || end <= warmUpEndMillis || now - end > memoryMs) {
      return null;
    }
    return "agent overloaded: its event loop was held up for " + timers.lastStallMillis() + " ms, "
        + (now - end) / 1000 + " s ago (GC pause or blocked loop); probe timeouts meanwhile are not counted against nodes";
  }
}
