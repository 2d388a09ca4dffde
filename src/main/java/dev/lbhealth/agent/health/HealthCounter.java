package dev.lbhealth.agent.health;

/**
 * Rise/fall hysteresis over consecutive probe results. A target goes UP after {@code rise}
 * successes in a row and DOWN after {@code fall} failures in a row; any opposite result resets
 * the run, so interleaved results (up, down, up, down) never trip either. The first result
 * settles an UNKNOWN target at once, so a fresh agent does not wait rise x interval to act.
 * Not thread-safe: owned by one context.
 */
public final class HealthCounter {
  private final int rise;
  private final int fall;
  private Health health = Health.UNKNOWN;
  private int successes;
  private int failures;

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
      if (health == Health.UNKNOWN || (health == Health.DOWN && successes >= rise)) {
        health = Health.UP;
      }
    } else {
      failures++;
      successes = 0;
      if (health == Health.UNKNOWN || (health == Health.UP && failures >= fall)) {
        health = Health.DOWN;
      }
    }
    return health != before;
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
