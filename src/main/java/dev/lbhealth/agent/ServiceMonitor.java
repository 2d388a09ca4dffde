package dev.lbhealth.agent;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.LbWriter;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.Coalescer;
import dev.lbhealth.agent.decision.Decision;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.Timers;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.health.HealthCounter;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.probe.Probes;
import dev.lbhealth.agent.status.AgentMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one service's state on the agent's context: probes each target on its own jittered
 * schedule, keeps rise/fall health, decides the server set and hands changes, coalesced, to the
 * LB writer on a worker. At most one apply runs at a time; changes that arrive meanwhile are
 * applied right after it. Not thread-safe: every method runs on the agent's context.
 */
final class ServiceMonitor {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceMonitor.class);
  private static final long RETRY_AFTER_FAILURE_MS = 5_000;

  private final Vertx vertx;
  private final ServiceConfig service;
  private final Probe probe;
  private final LbWriter writer;
  private final Timers timers;
  private final Coalescer coalescer;
  private final Map<Target, TargetState> targets = new LinkedHashMap<>();
  private ServerSet requested;
  private ServerSet applied;
  private ApplyResult lastApply;
  private Instant lastApplyAt;
  /** The apply running on a worker, if any; stop() waits for it. */
  private Future<ApplyResult> applying;
  private boolean applyAgain;
  private boolean stopped;

  private final Runnable afterApply;
  private final AgentMetrics metrics;
  private final Consumer<JsonObject> events;

  ServiceMonitor(Vertx vertx, ServiceConfig service, Iterable<Target> targetList, Probe probe, LbWriter writer,
      Timers timers, Runnable afterApply, AgentMetrics metrics, Consumer<JsonObject> events) {
    this.afterApply = afterApply;
    this.metrics = metrics;
    this.events = events;
    this.vertx = vertx;
    this.service = service;
    this.probe = probe;
    this.writer = writer;
    this.timers = timers;
    this.coalescer = new Coalescer(timers, service.coalesceMin().toMillis(), service.coalesceMax().toMillis(), this::apply);
    for (Target t : targetList) {
      TargetState ts = new TargetState(t, new HealthCounter(service.probe().rise(), service.probe().fall()));
      targets.put(t, ts);
      metrics.target(t, ts.healthGauge, ts.inRotationGauge);
    }
  }

  void start() {
    long interval = service.probe().interval().toMillis();
    for (TargetState ts : targets.values()) {
      // Spread the first probes over a quarter interval: nodes are not hit all at once, and the
      // first apply still comes soon after start.
      ts.timer = timers.setTimer(ThreadLocalRandom.current().nextLong(Math.max(1, interval / 4)), () -> probe(ts));
    }
  }

  Future<Void> stop() {
    stopped = true;
    coalescer.cancel();
    targets.values().forEach(ts -> timers.cancelTimer(ts.timer));
    Future<?> inFlight = applying == null ? Future.succeededFuture() : applying.otherwiseEmpty();
    return inFlight.transform(done -> probe.close());
  }

  String name() {
    return service.name();
  }

  ServiceConfig config() {
    return service;
  }

  boolean appliedOnce() {
    return lastApply != null;
  }

  /** Null while healthy, else why not (for /healthz). */
  String problem() {
    if (lastApply == null) {
      return "service " + service.name() + ": nothing applied yet";
    }
    if (lastApply.failed()) {
      return "service " + service.name() + ": last apply failed: " + String.join("; ", lastApply.errors());
    }
    return null;
  }

  private void probe(TargetState ts) {
    if (stopped) {
      return;
    }
    long started = timers.nowMillis();
    probe.check(ts.target, Probes.timeout(service.probe(), ts.counter.health() != Health.UNKNOWN)).onComplete(ar -> {
      if (stopped) {
        return;
      }
      record(ts, ar.succeeded() ? ar.result() : new ProbeResult(false, 0, String.valueOf(ar.cause())));
      long interval = service.probe().interval().toMillis();
      double spread = service.probe().jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
      long next = Math.round(interval * (1 + spread)) - (timers.nowMillis() - started);
      ts.timer = timers.setTimer(Math.max(1, next), () -> probe(ts));
    });
  }

  private void record(TargetState ts, ProbeResult result) {
    ts.last = result;
    ts.lastAt = Instant.now();
    metrics.probe(ts.target, result.healthy(), result.latencyNanos());
    Health before = ts.counter.health();
    if (ts.counter.record(result.healthy())) {
      ts.since = ts.lastAt;
      ts.healthGauge.set(AgentMetrics.gaugeValue(ts.counter.health()));
      metrics.transition(ts.target, ts.counter.health());
      events.accept(new JsonObject().put("type", "health").put("service", service.name())
          .put("node", nodeStatus(ts)));
      if (before == Health.UNKNOWN) {
        LOG.info("service {} node {} ({}): first probe {}: {}", service.name(), ts.target.node(), ts.target.hostPort(), ts.counter.health(), result.detail());
      } else {
        LOG.info("service {} node {} ({}): {} -> {}: {}", service.name(), ts.target.node(), ts.target.hostPort(), before, ts.counter.health(), result.detail());
      }
      decide();
    }
  }

  private void decide() {
    if (targets.values().stream().anyMatch(ts -> ts.counter.health() == Health.UNKNOWN)) {
      return; // the first apply waits for every node's first answer
    }
    Map<Target, Health> health = new LinkedHashMap<>();
    targets.forEach((t, ts) -> health.put(t, ts.counter.health()));
    ServerSet desired = Decision.desired(java.util.List.copyOf(targets.keySet()), health, service.whenEmpty(), applied);
    if (requested == null || !desired.active().equals(requested.active())) {
      requested = desired;
      coalescer.changed();
    }
  }

  private void apply() {
    if (stopped) {
      return;
    }
    if (applying != null) {
      applyAgain = true;
      return;
    }
    ServerSet set = requested;
    applying = vertx.executeBlocking(() -> writer.apply(set), false);
    applying.onComplete(ar -> {
      applying = null;
      if (stopped) {
        return;
      }
      ApplyResult result = ar.succeeded() ? ar.result()
          : new ApplyResult(ApplyResult.Outcome.FAILED, "none", 0, java.util.List.of("apply crashed: " + ar.cause()));
      lastApply = result;
      lastApplyAt = Instant.now();
      metrics.apply(service.name(), result);
      if (result.failed()) {
        LOG.warn("service {}: apply of [{}] failed: {}", service.name(), String.join(", ", set.activeNodes()), String.join("; ", result.errors()));
        timers.setTimer(RETRY_AFTER_FAILURE_MS, () -> {
          if (requested == set && lastApply == result) {
            apply();
          }
        });
      } else {
        applied = set;
        targets.values().forEach(ts -> ts.inRotationGauge.set(set.isActive(ts.target) ? 1 : 0));
        if (result.outcome() == ApplyResult.Outcome.APPLIED) {
          LOG.info("service {}: in rotation now [{}] ({}) via {} in {} ms", service.name(), String.join(", ", set.activeNodes()),
              set.reason(), result.method(), result.durationNanos() / 1_000_000);
        }
      }
      events.accept(new JsonObject().put("type", "apply").put("service", status()));
      afterApply.run();
      if (applyAgain) {
        applyAgain = false;
        apply();
      }
    });
  }

  JsonObject status() {
    JsonArray nodes = new JsonArray();
    targets.values().forEach(ts -> nodes.add(nodeStatus(ts)));
    JsonObject out = new JsonObject()
        .put("name", service.name())
        .put("port", service.port())
        .put("probe", service.probe().type().name().toLowerCase())
        .put("lb", new JsonObject()
            .put("kind", service.lb().kind().name().toLowerCase())
            .put("file", service.lb().file().toString())
            .put("upstream", service.lb().upstream()))
        .put("nodes", nodes);
    if (applied != null) {
      out.put("serverSet", new JsonObject()
          .put("active", new JsonArray(applied.activeNodes()))
          .put("reason", applied.reason()));
    }
    if (lastApply != null) {
      out.put("lastApply", new JsonObject()
          .put("at", lastApplyAt.toString())
          .put("outcome", lastApply.outcome().name().toLowerCase())
          .put("method", lastApply.method())
          .put("durationMs", lastApply.durationNanos() / 1e6)
          .put("errors", new JsonArray(lastApply.errors())));
    }
    return out;
  }

  private JsonObject nodeStatus(TargetState ts) {
    JsonObject node = new JsonObject()
        .put("name", ts.target.node())
        .put("address", ts.target.hostPort())
        .put("health", ts.counter.health().name().toLowerCase())
        .put("inRotation", applied != null && applied.isActive(ts.target))
        .put("consecutiveSuccesses", ts.counter.consecutiveSuccesses())
        .put("consecutiveFailures", ts.counter.consecutiveFailures())
        .put("since", ts.since == null ? null : ts.since.toString());
    if (ts.last != null) {
      node.put("lastProbe", new JsonObject()
          .put("at", ts.lastAt.toString())
          .put("healthy", ts.last.healthy())
          .put("latencyMs", ts.last.latencyNanos() / 1e6)
          .put("detail", ts.last.detail()));
    }
    return node;
  }

  private static final class TargetState {
    final Target target;
    final HealthCounter counter;
    ProbeResult last;
    Instant lastAt;
    Instant since;
    long timer = -1;
    final AtomicInteger healthGauge = new AtomicInteger(-1);
    final AtomicInteger inRotationGauge = new AtomicInteger(0);

    TargetState(Target target, HealthCounter counter) {
      this.target = target;
      this.counter = counter;
    }
  }
}
