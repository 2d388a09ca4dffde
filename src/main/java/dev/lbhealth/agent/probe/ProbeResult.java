package dev.lbhealth.agent.probe;

/**
 * The outcome of one probe. A failure is data: {@code detail} says what went wrong, and
 * {@code outcome} whether it was a timeout (which says as much about the prober's timing as
 * about the node) or an answer that was not good (refused, reset, a wrong greeting or status).
 */
public record ProbeResult(Outcome outcome, long latencyNanos, String detail) {
  public enum Outcome { UP, DOWN, TIMEOUT }

  /** As a test or a caller without a kind of failure says it. */
  public ProbeResult(boolean healthy, long latencyNanos, String detail) {
    this(healthy ? Outcome.UP : Outcome.DOWN, latencyNanos, detail);
  }

  public boolean healthy() {
    return outcome == Outcome.UP;
  }

  /** A failure by timeout (not a refusal or a wrong answer). */
  public boolean timedOut() {
    return outcome == Outcome.TIMEOUT;
  }

  public static ProbeResult up(long startNanos) {
    return new ProbeResult(Outcome.UP, System.nanoTime() - startNanos, "ok");
  }

  public static ProbeResult down(long startNanos, String detail) {
    return new ProbeResult(Outcome.DOWN, System.nanoTime() - startNanos, detail);
  }

  /** No answer within {@code timeoutMs}. */
  public static ProbeResult timeout(long startNanos, long timeoutMs) {
    return new ProbeResult(Outcome.TIMEOUT, System.nanoTime() - startNanos, "timeout after " + timeoutMs + "ms");
  }
}
