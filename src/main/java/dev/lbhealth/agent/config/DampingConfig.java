package dev.lbhealth.agent.config;

import java.time.Duration;

/**
 * How a service's flapping nodes are damped ({@code probe.damping}): see
 * {@code health.FlapDamping}. {@link #OFF} never damps.
 */
public record DampingConfig(Duration halfLife, double suppress, double reuse, Duration maxHold) {
  public static final DampingConfig DEFAULT = new DampingConfig(Duration.ofSeconds(10), 4, 1, Duration.ofMinutes(2));
  public static final DampingConfig OFF = new DampingConfig(Duration.ofSeconds(10), Double.POSITIVE_INFINITY, 1, Duration.ofMinutes(2));

  public boolean enabled() {
    return suppress != Double.POSITIVE_INFINITY;
  }

  /** The highest penalty: the one that decays to {@code reuse} in exactly {@code maxHold}. */
  public double ceiling() {
    return reuse * Math.pow(2, (double) maxHold.toMillis() / halfLife.toMillis());
  }
}
