package dev.lbhealth.agent.events;

import dev.lbhealth.agent.health.Health;

/**
 * What is told of one target while it is in its pool, made once when it joins
 * ({@link EventListener#targetAdded}): a probe then costs no lookup.
 */
public interface TargetListener {
  TargetListener NONE = new TargetListener() {};

  /** A probe ended and was counted. */
  default void probed(boolean healthy, long latencyNanos) {}

  /** Its health changed to {@code now}. */
  default void health(Health now) {}

  /** An applied set put it in rotation or took it out. */
  default void inRotation(boolean inRotation) {}
}
