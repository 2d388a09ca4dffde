package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.decision.ServerSet;

/**
 * Brings one service's server set to the load balancer. Blocking: callers run it on a worker
 * (Vert.x {@code executeBlocking}), one apply at a time per service. It never throws for LB or
 * file problems: they come back in the result, and the LB file on disk is then still the last
 * good one, complete.
 */
public interface LbWriter {
  ApplyResult apply(ServerSet set);

  /** The text this writer would put on disk for the set, without touching anything. */
  String preview(ServerSet set);
}
