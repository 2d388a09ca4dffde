package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;

/**
 * Checks one target once. Runs on the caller's event loop with async sockets only. The returned
 * future always succeeds, within the configured timeout: an unhealthy target is a result with
 * {@code healthy == false}, never a failed future.
 */
public interface Probe {
  Future<ProbeResult> check(Target target);

  /** Releases the probe's clients. */
  Future<Void> close();
}
