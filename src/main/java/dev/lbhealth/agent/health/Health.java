package dev.lbhealth.agent.health;

/** What the agent believes of a target. */
public enum Health {
  /** No probe has answered yet. */
  UNKNOWN,
  UP,
  DOWN
}
