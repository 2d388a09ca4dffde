package dev.lbhealth.agent.decision;

/** The clock and one-shot timers that time-dependent logic uses, so tests can drive time. */
public interface Timers {
  long nowMillis();

  long setTimer(long delayMillis, Runnable action);

  void cancelTimer(long id);
}
