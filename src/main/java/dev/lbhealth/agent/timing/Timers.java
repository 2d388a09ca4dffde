package dev.lbhealth.agent.timing;

/**
 * The clock, one-shot timers and random source that time-dependent logic uses (probe schedules,
 * their jitter, damping, coalescing), so that tests can drive time and chance.
 */
public interface Timers {
  /** Monotonic milliseconds: what intervals and deadlines are measured in. */
  long nowMillis();

  /** Monotonic nanoseconds, for durations that are reported (an apply's time since its decision). */
  default long nowNanos() {
    return System.nanoTime();
  }

  /** The wall clock (epoch milliseconds), for the times /status shows. */
  default long epochMillis() {
    return System.currentTimeMillis();
  }

  /** Where jitter and spread come from: a test's repeats itself. */
  default java.util.random.RandomGenerator random() {
    return java.util.concurrent.ThreadLocalRandom.current();
  }

  long setTimer(long delayMillis, Runnable action);

  void cancelTimer(long id);

  /** A scheduled action that can be called off. */
  interface Scheduled {
    /** Calls the action off; it does nothing once the action has run. */
    void cancel();

    Scheduled NONE = () -> {};
  }

  /**
   * Runs {@code action} after about {@code delayMillis}, for work that recurs at scale (a probe
   * per target per interval): implementations may batch such actions into short slots and run
   * each slot from one timer. By default, one timer per action.
   */
  default Scheduled schedule(long delayMillis, Runnable action) {
    long id = setTimer(delayMillis, action);
    return () -> cancelTimer(id);
  }

  /**
   * Whether the timers' own thread was held up (a GC pause, a blocked event loop) at any time
   * since {@code sinceMillis}, or is held up now: a probe timeout in that window says more about
   * the agent than about the node.
   */
  default boolean stalledSince(long sinceMillis) {
    return false;
  }
}
