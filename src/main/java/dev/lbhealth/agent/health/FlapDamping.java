package dev.lbhealth.agent.health;

import dev.lbhealth.agent.config.DampingConfig;

import java.time.Duration;

/**
 * Flap damping for one target, after BGP route flap damping (RFC 2439): each change of its probe
 * health adds a penalty of 1, and the penalty halves every {@code halfLife}. Once the penalty is
 * above {@code suppress} the target is damped (the agent holds it out of rotation); it is released
 * once the penalty has decayed below {@code reuse}. The penalty is capped at what decays to
 * {@code reuse} in {@code maxHold}, so a target is never held longer than that after its last flip.
 *
 * <p>With the defaults (half-life 10 s, suppress 4, reuse 1, max hold 2 min) a node that goes down
 * and comes back, or a pod that moves off a node and back, is never damped; the fifth flip within a
 * few seconds damps the node, and it stays out until it has been stable for about 20 s.
 * Not thread-safe: owned by one context.
 */
public final class FlapDamping {
  private final DampingConfig settings;
  private final double ceiling;
  private double penalty;
  private long penaltyAtMillis;
  private boolean damped;

  public FlapDamping(DampingConfig settings) {
    this.settings = settings;
    this.ceiling = settings.enabled() ? settings.ceiling() : Double.MAX_VALUE;
  }

  /** Records one change of the probe health at {@code nowMillis}; returns whether the target is damped now. */
  public boolean flip(long nowMillis) {
    if (!settings.enabled()) {
      return false;
    }
    penalty = Math.min(ceiling, penalty(nowMillis) + 1);
    penaltyAtMillis = nowMillis;
    if (penalty > settings.suppress()) {
      damped = true;
    }
    return damped;
  }

  /** Whether the target is damped at {@code nowMillis} (a damped target is released once its penalty fell below reuse). */
  public boolean damped(long nowMillis) {
    if (damped && penalty(nowMillis) < settings.reuse()) {
      damped = false;
    }
    return damped;
  }

  /** The penalty, decayed to {@code nowMillis}. */
  public double penalty(long nowMillis) {
    if (penalty == 0) {
      return 0;
    }
    long elapsed = Math.max(0, nowMillis - penaltyAtMillis);
    return penalty * Math.pow(0.5, (double) elapsed / settings.halfLife().toMillis());
  }
}
