package dev.lbhealth.agent.probe;

/** The outcome of one probe. A failure is data: {@code detail} says what went wrong. */
public record ProbeResult(boolean healthy, long latencyNanos, String detail) {
  public static ProbeResult up(long startNanos) {
    return new ProbeResult(true, System.nanoTime() - startNanos, "ok");
  }

  /** A failure by timeout (not a refusal or a wrong answer): it says as much about the prober's timing as about the node. */
  public boolean timedOut() {
    return !healthy && (detail.startsWith("timeout") || detail.contains("timed out"));
  }

  public static ProbeResult down(long startNanos, String detail) {
    return new ProbeResult(false, System.nanoTime() - startNanos, detail);
  }
}
