package dev.lbhealth.agent.probe;

/** The outcome of one probe. A failure is data: {@code detail} says what went wrong. */
public record ProbeResult(boolean healthy, long latencyNanos, String detail) {
  public static ProbeResult up(long startNanos) {
    return new ProbeResult(true, System.nanoTime() - startNanos, "ok");
  }

  public static ProbeResult down(long startNanos, String detail) {
    return new ProbeResult(false, System.nanoTime() - startNanos, detail);
  }
}
