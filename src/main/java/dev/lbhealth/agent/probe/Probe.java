package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Handler;
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

  /**
   * As {@link #check(Target, Duration)}, the result handed to {@code done} on the caller's
   * context: for a caller that probes thousands of targets a second, a probe that can answer
   * without a future does so.
   */
  default void check(Target target, Duration timeout, Handler<ProbeResult> done) {
    check(target, timeout).onComplete(ar -> done.handle(ar.succeeded() ? ar.result() : new ProbeResult(false, 0, String.valueOf(ar.cause()))));
  }

  /** One target's probe, made once and run every interval for as long as the target is in its pool. */
  interface Prepared {
    /** Probes the target once; the result goes to {@code done} on the caller's context. */
    void check(Duration timeout, Handler<ProbeResult> done);
  }

  /**
   * The target's probe, with what can be worked out once (its address) worked out now rather
   * than on every probe.
   */
  default Prepared prepare(Target target) {
    return (timeout, done) -> check(target, timeout, done);
  }

  /** Releases the probe's clients. */
  Future<Void> close();
}
