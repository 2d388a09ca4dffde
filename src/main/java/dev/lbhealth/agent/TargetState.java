package dev.lbhealth.agent;

import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.timing.Timers;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.FlapDamping;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.health.HealthCounter;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.status.AgentMetrics;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;

/** One target of a service's pool: its health, last probe, probe schedule and placement. */
final class TargetState {
  final Target target;
  final HealthCounter counter;
  final FlapDamping damping;
  /** Its series, looked up once. */
  AgentMetrics.TargetMeters meters;
  /** Held out of rotation by flap damping (its probe health may be UP). */
  boolean damped;
  ProbeResult last;
  /** When the last probe ended (epoch millis): a number per probe, an {@link Instant} only in /status. */
  long lastAtMillis;
  Instant since;
  /** Its next probe. */
  Timers.Scheduled next = Timers.Scheduled.NONE;
  /** Its probe, the action its schedule runs, and what takes the probe's result: made once, not per probe. */
  Probe.Prepared probe;
  Runnable probeAction;
  Handler<ProbeResult> resultHandler;
  /** Still in its pool: a target that left it is not probed again, and a result that comes back for it is dropped. */
  boolean inPool = true;
  /** Probe timeouts not counted because the agent itself was held up meanwhile. */
  long inconclusive;
  boolean probing;
  boolean probeAgainAtOnce;
  Placement placement = Placement.UNKNOWN;

  TargetState(Target target, HealthCounter counter, FlapDamping damping, Placement placement) {
    this.target = target;
    this.counter = counter;
    this.damping = damping;
    this.placement = placement;
  }

  /** The health the decision uses: the probes' verdict, but DOWN while flap damping holds the target out. */
  Health health() {
    return damped && counter.health() == Health.UP ? Health.DOWN : counter.health();
  }

  /** The target as /status shows it, with {@code state} its state in the applied set (or null). */
  JsonObject toJson(ServerState state) {
    JsonObject node = new JsonObject()
        .put("name", target.node())
        .put("address", target.hostPort())
        .put("health", health().name().toLowerCase(Locale.ROOT))
        .put("damped", damped)
        .put("state", state == null ? null : state.word())
        .put("kubernetes", placement == Placement.UNKNOWN ? null : placement.name().toLowerCase(Locale.ROOT))
        .put("inRotation", state == ServerState.READY)
        .put("consecutiveSuccesses", counter.consecutiveSuccesses())
        .put("consecutiveFailures", counter.consecutiveFailures())
        .put("since", since == null ? null : since.toString());
    if (inconclusive > 0) {
      node.put("inconclusiveProbes", inconclusive);
    }
    if (last != null) {
      node.put("lastProbe", new JsonObject()
          .put("at", Instant.ofEpochMilli(lastAtMillis).toString())
          .put("healthy", last.healthy())
          .put("latencyMs", last.latencyNanos() / 1e6)
          .put("detail", last.detail()));
    }
    return node;
  }
}
