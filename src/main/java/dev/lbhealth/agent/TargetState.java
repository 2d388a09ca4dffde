package dev.lbhealth.agent;

import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.health.HealthCounter;
import dev.lbhealth.agent.probe.ProbeResult;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/** One target of a service's pool: its health, last probe, probe schedule and placement. */
final class TargetState {
  final Target target;
  final HealthCounter counter;
  ProbeResult last;
  Instant lastAt;
  Instant since;
  long timer = -1;
  boolean probing;
  boolean probeAgainAtOnce;
  Placement placement = Placement.UNKNOWN;
  final AtomicInteger healthGauge = new AtomicInteger(-1);
  final AtomicInteger inRotationGauge = new AtomicInteger(0);

  TargetState(Target target, HealthCounter counter, Placement placement) {
    this.target = target;
    this.counter = counter;
    this.placement = placement;
  }

  Health health() {
    return counter.health();
  }

  /** The target as /status shows it, with {@code state} its state in the applied set (or null). */
  JsonObject toJson(ServerState state) {
    JsonObject node = new JsonObject()
        .put("name", target.node())
        .put("address", target.hostPort())
        .put("health", counter.health().name().toLowerCase(Locale.ROOT))
        .put("state", state == null ? null : state.word())
        .put("kubernetes", placement == Placement.UNKNOWN ? null : placement.name().toLowerCase(Locale.ROOT))
        .put("inRotation", state == ServerState.READY)
        .put("consecutiveSuccesses", counter.consecutiveSuccesses())
        .put("consecutiveFailures", counter.consecutiveFailures())
        .put("since", since == null ? null : since.toString());
    if (last != null) {
      node.put("lastProbe", new JsonObject()
          .put("at", lastAt.toString())
          .put("healthy", last.healthy())
          .put("latencyMs", last.latencyNanos() / 1e6)
          .put("detail", last.detail()));
    }
    return node;
  }
}
