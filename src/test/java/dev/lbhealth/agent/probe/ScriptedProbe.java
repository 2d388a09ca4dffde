package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.timing.FakeTimers;
import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * A probe on a fake clock: it answers each target {@code latency} ms after it is asked, healthy
 * when the script says so for the target and the time the probe started; it notes each start.
 */
public final class ScriptedProbe implements Probe {
  /** Whether the target answers a probe that starts at {@code startMillis}. */
  public interface Script {
    boolean healthy(Target target, long startMillis);
  }

  private final FakeTimers timers;
  private final Script script;
  private final ToLongFunction<Target> latency;
  /** When each probe started. */
  public final List<Long> starts = new ArrayList<>();

  public ScriptedProbe(FakeTimers timers, Script script, ToLongFunction<Target> latency) {
    this.timers = timers;
    this.script = script;
    this.latency = latency;
  }

  @Override
  public Future<ProbeResult> check(Target target, Duration timeout) {
    throw new UnsupportedOperationException("a pool probes through check(target, timeout, done)");
  }

  @Override
  public void check(Target target, Duration timeout, Handler<ProbeResult> done) {
    long start = timers.nowMillis();
    starts.add(start);
    boolean healthy = script.healthy(target, start);
    long millis = latency.applyAsLong(target);
    timers.setTimer(millis, () -> done.handle(new ProbeResult(healthy, millis * 1_000_000, healthy ? "ok" : "refused")));
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
