package dev.lbhealth.agent.apply;

import java.util.List;

/**
 * What a writer tells besides the results of applies: the file brought in line after a live
 * switch, HAProxy found differing from what the agent applied, a leaving server deleted. Called
 * on the agent's context.
 */
public interface ApplyListener {
  ApplyListener NONE = new ApplyListener() {};

  /** The LB file was brought in line with a set that was already live. */
  default void persisted(FileWrite write) {}

  /**
   * HAProxy's live servers differed from the set the agent had applied (a hand on the socket, a
   * restart); {@code corrected} unless the config says to report only.
   */
  default void drift(List<String> differences, boolean corrected) {}

  /** A server that left the set was deleted from the running LB. */
  default void removed(String server, boolean atDrainTimeout) {}
}
