package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import java.time.Duration;

/**
 * Checks one target once. Runs on the caller's event loop with async sockets only. The returned
 * future always succeeds, within the given timeout: an unhealthy target is a result with
 * {@code healthy == false}, never a failed future.
 */
public interface Probe {
  /**
   * A JVM's first connections are slow (classes load, code is not compiled yet): the first
   * probes of a target get at least this long, so a cold start does not read as a dead node.
   */
  Duration STARTUP_TIMEOUT = Duration.ofSeconds(1);

  Future<ProbeResult> check(Target target, Duration timeout);

  /** Releases the probe's clients. */
  Future<Void> close();
}
