package dev.lbhealth.agent.decision;

import java.util.Locale;

/**
 * What the LB does with one server: the decision, the renderers, the Runtime API and status all
 * speak these three words.
 */
public enum ServerState {
  /** In rotation: new connections go there. */
  READY,
  /** No new connections; established ones finish (HAProxy {@code drain}, nginx {@code down}). */
  DRAIN,
  /** Out of rotation (HAProxy {@code maint}, nginx {@code down}). */
  MAINT;

  /** The word HAProxy's {@code set server ... state} and the status API use. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
