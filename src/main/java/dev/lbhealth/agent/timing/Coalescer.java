package dev.lbhealth.agent.timing;

/**
 * Coalesces bursts of changes with a min/max quiescence window (consul-template's
 * {@code wait { min, max }}): the action runs once no change has come for {@code min}, or at the
 * latest {@code max} after the first change of the burst. A flapping node therefore costs at most
 * one apply per {@code max}. Not thread-safe: used from one context.
 */
public final class Coalescer {
  private final Timers timers;
  private final long minMillis;
  private final long maxMillis;
  private final Runnable action;
  private long burstStart = -1;
  private long timer = -1;

  public Coalescer(Timers timers, long minMillis, long maxMillis, Runnable action) {
    this.timers = timers;
    this.minMillis = minMillis;
    this.maxMillis = Math.max(minMillis, maxMillis);
    this.action = action;
  }

  /** Notes a change; the action runs when the window closes. */
  public void changed() {
    long now = timers.nowMillis();
    if (burstStart < 0) {
      burstStart = now;
    }
    if (timer >= 0) {
      timers.cancelTimer(timer);
    }
    long deadline = Math.min(now + minMillis, burstStart + maxMillis);
    timer = timers.setTimer(Math.max(0, deadline - now), this::fire);
  }

  /** Forgets a pending change. */
  public void cancel() {
    if (timer >= 0) {
      timers.cancelTimer(timer);
    }
    timer = -1;
    burstStart = -1;
  }

  private void fire() {
    timer = -1;
    burstStart = -1;
    action.run();
  }
}
