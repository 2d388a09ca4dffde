package dev.lbhealth.agent.timing;

import java.util.Map;
import java.util.TreeMap;

/**
 * Timers driven by the test: time moves only when {@link #advance} is called, and chance always
 * falls in the middle (no jitter, the middle of every spread).
 */
public final class FakeTimers implements Timers {
  private long now;
  private long nextId;
  private final Map<Long, long[]> due = new TreeMap<>();
  private final Map<Long, Runnable> actions = new TreeMap<>();

  @Override
  public long nowMillis() {
    return now;
  }

  @Override
  public long nowNanos() {
    return now * 1_000_000;
  }

  /** The wall clock starts at 2026-01-01T00:00:00Z and moves with the fake one. */
  @Override
  public long epochMillis() {
    return 1_767_225_600_000L + now;
  }

  @Override
  public java.util.random.RandomGenerator random() {
    return MIDDLE;
  }

  /** A random source that always says the middle: 0.5, and half of any bound. */
  private static final java.util.random.RandomGenerator MIDDLE = new java.util.random.RandomGenerator() {
    @Override
    public long nextLong() {
      return 0;
    }

    @Override
    public double nextDouble() {
      return 0.5;
    }

    @Override
    public long nextLong(long bound) {
      return bound / 2;
    }
  };

  @Override
  public long setTimer(long delayMillis, Runnable action) {
    long id = nextId++;
    due.put(id, new long[] {now + Math.max(1, delayMillis)});
    actions.put(id, action);
    return id;
  }

  @Override
  public void cancelTimer(long id) {
    due.remove(id);
    actions.remove(id);
  }

  /** Moves time forward, running every timer that falls due, in order. */
  public void advance(long millis) {
    long end = now + millis;
    while (true) {
      Long next = due.entrySet().stream()
          .filter(e -> e.getValue()[0] <= end)
          .min((a, b) -> Long.compare(a.getValue()[0], b.getValue()[0]))
          .map(Map.Entry::getKey).orElse(null);
      if (next == null) {
        break;
      }
      now = due.remove(next)[0];
      actions.remove(next).run();
    }
    now = end;
  }
}
