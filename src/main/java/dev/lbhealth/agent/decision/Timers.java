package dev.lbhealth.agent.decision;

/** The clock and one-shot timers that time-dependent logic uses, so tests can drive time. */
public interface Timers {
  long nowMillis();

  long setTimer(long delayMillis, Runnable action);

  void cancelTimer(long id);

  /**
   * Whether the timers' own thread was held up (a GC pause, a blocked event loop) at any time
   * since {@code sinceMillis}, or is held up now: a probe timeout in that window says more about
   * the agent than about the node.
   */
  default boolean stalledSince(long sinceMillis) {
    return false;
  }
}
