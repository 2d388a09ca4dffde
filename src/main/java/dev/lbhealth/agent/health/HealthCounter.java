package dev.lbhealth.agent.health;

/**
 * Rise/fall hysteresis over consecutive probe results. A target goes UP after {@code rise}
 * successes in a row and DOWN after {@code fall} failures in a row; any opposite result resets
 * the run, so interleaved results (up, down, up, down) never trip either. An UNKNOWN target
 * (just started) is UP after its first success, so a fresh agent does not wait rise x interval
 * to act, but DOWN only after {@code fall} failures: a first probe slowed by a cold JVM must not
 * take a working node out of rotation.
 * Not thread-safe: owned by one context.
 */
public final class HealthCounter {
  private final int rise;
  private final int fall;
  private Health health = Health.UNKNOWN;
  private int successes;
  private int failures;
  private boolean vouched;

  public HealthCounter(int rise, int fall) {
    if (rise < 1 || fall < 1) {
      throw new IllegalArgumentException("rise and fall must be at least 1");
    }
    this.rise = rise;
    this.fall = fall;
  }

  /** Records one result; returns true when the health changed. */
  public boolean record(boolean success) {
    Health before = health;
    if (success) {
      successes++;
      failures = 0;
      if (health == Health.UNKNOWN || (health == Health.DOWN && (successes >= rise || vouched))) {
        health = Health.UP;
      }
      vouched = false;
    } else {
      failures++;
      successes = 0;
      vouched = false;
      if (health != Health.DOWN && failures >= fall) {
        health = Health.DOWN;
      }
    }
    return health != before;
  }

  /**
   * Someone who knows (Kubernetes: the pod just became Ready) vouches for the target: its next
   * success alone makes it UP, whatever {@code rise} is. A failure first withdraws the vouch.
   */
  public void vouch() {
    vouched = true;
  }

  public Health health() {
    return health;
  }

  public int consecutiveSuccesses() {
    return successes;
  }

  public int consecutiveFailures() {
    return failures;
  }
}
