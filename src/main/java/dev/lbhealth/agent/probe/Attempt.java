package dev.lbhealth.agent.probe;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * One probe in flight: its start, its timeout and the result it settles on, first come first
 * served. The timeout is a timer that settles the result as down (vertx-health-check's
 * {@code DefaultProcedure} does the same); it is cancelled once the result is in.
 */
final class Attempt {
  final long startNanos = System.nanoTime();
  final long timeoutMs;
  private final Promise<ProbeResult> result = Promise.promise();

  Attempt(Vertx vertx, Duration timeout) {
    this.timeoutMs = Math.max(1, timeout.toMillis());
    long timer = vertx.setTimer(timeoutMs, id -> result.tryComplete(ProbeResult.timeout(startNanos, timeoutMs)));
    result.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  void up() {
    result.tryComplete(ProbeResult.up(startNanos));
  }

  void down(String detail) {
    result.tryComplete(ProbeResult.down(startNanos, detail));
  }

  Future<ProbeResult> future() {
    return result.future();
  }
}
