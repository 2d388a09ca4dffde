package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.decision.ServerSet;
import io.vertx.core.Future;

/**
 * Brings one service's server set to the load balancer. Called on the agent's context, one apply
 * at a time per service; it never blocks that context (file and process work runs on a worker)
 * and never fails the future for LB or file problems: they come back in the result, and the LB
 * file on disk is then still the last good one, complete.
 */
public interface LbWriter {
  Future<ApplyResult> apply(ServerSet set);

  /** The text this writer would put on disk for the set, without touching anything. */
  String preview(ServerSet set);

  /**
   * Whether changes reach the LB live, with no reload: such a writer needs no coalescing in
   * front of it (coalescing protects reloads).
   */
  default boolean switchesLive() {
    return false;
  }

  /**
   * How long the next apply should wait to keep within the reload budget
   * ({@code lb.min-reload-interval}); 0 when it may go now. The caller holds it and then applies
   * the newest set, so the changes in between are merged into one reload.
   */
  default long holdMillis() {
    return 0;
  }

  /**
   * What keeps the LB from serving what was applied (it is down, lacks the service's backend, did
   * not load a reload), found since the last apply, or null. A problem of the service: /healthz
   * answers 503 with it. Read on the agent's context.
   */
  default String problem() {
    return null;
  }

  /** nginx: old workers still shutting down at the last look, or null (not known, or not nginx); read on the agent's context. */
  default Integer oldWorkers() {
    return null;
  }

  /** Stops its timers and connections; an apply in flight still completes. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
