package dev.lbhealth.agent;

import dev.lbhealth.agent.apply.ApplyListener;
import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.apply.LbWriter;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.Coalescer;
import dev.lbhealth.agent.decision.Decision;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.decision.Timers;
import dev.lbhealth.agent.discovery.BackendSource;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.health.HealthCounter;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.probe.Probes;
import dev.lbhealth.agent.status.AgentMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one service's state on the agent's context: a live pool of targets, each probed on its
 * own jittered schedule with rise/fall health; the desired server set; and its applies. Targets
 * can be added (probed at once) and removed (timer cancelled, series dropped) while it runs; only
 * the very first apply waits for every target's first answer. A writer that switches the LB live
 * gets each change at once; one that reloads gets them coalesced. At most one apply runs at a
 * time; changes that arrive meanwhile are applied right after it. Not thread-safe: every method
 * runs on the agent's context.
 */
final class ServiceMonitor implements ApplyListener {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceMonitor.class);
  private static final long RETRY_AFTER_FAILURE_MS = 5_000;

  private ServiceConfig service;
  private final Probe probe;
  private final LbWriter writer;
  private final Timers timers;
  private final Coalescer coalescer;
  private Map<Target, TargetState> targets = new LinkedHashMap<>();
  /** Pushes discovered targets (Kubernetes), or null for static nodes only. */
  private final BackendSource discovery;
  private Map<Target, Placement> discovered = Map.of();
  /** Whether the source has told its first view: nothing is decided before. */
  private boolean discoveryKnown;
  private boolean started;
  private ServerSet requested;
  private long requestedAtNanos;
  private ServerSet applied;
  private ApplyResult lastApply;
  private Instant lastApplyAt;
  private long lastApplySinceDecisionNanos;
  private JsonObject lastFileWrite;
  private JsonObject lastDrift;
  /** The apply in flight, if any; stop() waits for it. */
  private Future<ApplyResult> applying;
  private boolean applyAgain;
  private boolean stopped;

  private final Runnable afterApply;
  private final AgentMetrics metrics;
  private final Consumer<JsonObject> events;

  /**
   * @param writers makes the service's writer, given this monitor as the listener of its reports
   * @param afterApply runs after every apply, on the agent's context
   * @param events what happened, as JSON for /events
   */
  ServiceMonitor(ServiceConfig service, BackendSource discovery, Probe probe, Function<ApplyListener, LbWriter> writers,
      Timers timers, Runnable afterApply, AgentMetrics metrics, Consumer<JsonObject> events) {
    this.discovery = discovery;
    this.discoveryKnown = discovery == null;
    this.afterApply = afterApply;
    this.metrics = metrics;
    this.events = events;
    this.service = service;
    this.probe = probe;
    this.writer = writers.apply(this);
    this.timers = timers;
    this.coalescer = new Coalescer(timers, service.coalesceMin().toMillis(), service.coalesceMax().toMillis(), this::apply);
    metrics.servers(service.name(), this::count);
  }

  /** Starts probing the static nodes, and the discovery source if there is one. */
  void start() {
    started = true;
    rebuild(true);
    if (discovery != null) {
      discovery.start(view -> {
        if (!stopped) {
          discovered = view;
          discoveryKnown = true;
          rebuild(false);
        }
      });
    }
  }

  /**
   * Takes a config that differs from the running one in its static nodes only: new nodes are
   * probed at once, removed ones stop being probed and lose their series, the others keep their
   * state. The LB follows with the next decision (a removed server drains, then goes).
   */
  void reconfigure(ServiceConfig config) {
    service = config;
    rebuild(false);
  }

  /**
   * Makes the static nodes plus the discovered targets (those on a node not listed statically)
   * the pool: new targets are probed (spread over a quarter interval at start, else at once),
   * removed ones dropped, unchanged ones keep their state; a target that discovery newly says
   * serves is probed at once.
   */
  private void rebuild(boolean spread) {
    Map<Target, Placement> view = new LinkedHashMap<>();
    Set<String> staticNodes = new HashSet<>();
    for (Target t : new StaticBackendSource().targets(service)) {
      view.put(t, Placement.UNKNOWN);
      staticNodes.add(t.node());
    }
    discovered.forEach((t, p) -> {
      if (!staticNodes.contains(t.node())) {
        view.put(t, p);
      }
    });
    Map<Target, TargetState> old = targets;
    Map<Target, TargetState> pool = new LinkedHashMap<>();
    long interval = service.probe().interval().toMillis();
    int added = 0;
    boolean placementChanged = false;
    for (Map.Entry<Target, Placement> e : view.entrySet()) {
      TargetState ts = old.remove(e.getKey());
      if (ts == null) {
        added++;
        ts = new TargetState(e.getKey(), new HealthCounter(service.probe().rise(), service.probe().fall()));
        ts.placement = e.getValue();
        metrics.target(ts.target, ts.healthGauge, ts.inRotationGauge);
        TargetState fresh = ts;
        ts.timer = timers.setTimer(spread ? ThreadLocalRandom.current().nextLong(Math.max(1, interval / 4)) : 0, () -> probe(fresh));
      } else if (ts.placement != e.getValue()) {
        placementChanged = true;
        LOG.info("service {} node {}: kubernetes says {} (was {})", service.name(), ts.target.node(),
            e.getValue().name().toLowerCase(), ts.placement.name().toLowerCase());
        if (e.getValue() == Placement.SERVING) {
          ts.counter.vouch(); // Kubernetes says Ready: one good probe confirms it, whatever rise is
          probeNow(ts);
        }
        ts.placement = e.getValue();
      }
      pool.put(e.getKey(), ts);
    }
    for (TargetState gone : old.values()) {
      timers.cancelTimer(gone.timer);
      gone.timer = -1;
      metrics.forget(gone.target);
    }
    targets = pool;
    boolean poolChanged = added > 0 || !old.isEmpty();
    if (!spread && poolChanged) {
      LOG.info("service {}: targets now [{}]", service.name(), String.join(", ", pool.keySet().stream().map(Target::node).toList()));
    }
    if (poolChanged || placementChanged) {
      decide();
    }
  }

  /** Probes the target now: at once, or right after the probe that is out. */
  private void probeNow(TargetState ts) {
    if (ts.probing) {
      ts.probeAgainAtOnce = true;
    } else {
      timers.cancelTimer(ts.timer);
      ts.timer = timers.setTimer(0, () -> probe(ts));
    }
  }

  Future<Void> stop() {
    stopped = true;
    coalescer.cancel();
    Future<Void> sourceStopped = discovery == null ? Future.succeededFuture() : discovery.stop();
    targets.values().forEach(ts -> timers.cancelTimer(ts.timer));
    Future<?> inFlight = applying == null ? Future.succeededFuture() : applying.otherwiseEmpty();
    return Future.join(inFlight, sourceStopped).transform(done -> writer.close()).transform(done -> probe.close());
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
    if (lastApply == null && discoveryKnown && targets.isEmpty()) {
      return "service " + service.name() + ": no targets (no static nodes, and discovery found none)";
    }
    if (lastApply == null) {
      return "service " + service.name() + ": nothing applied yet";
    }
    if (lastApply.failed()) {
      return "service " + service.name() + ": last apply failed: " + String.join("; ", lastApply.errors());
    }
    return null;
  }

  /** What keeps discovery from being current (the API out of reach), or null: a warning, not a failure. */
  String warning() {
    String problem = discovery == null ? null : discovery.problem();
    return problem == null ? null : "service " + service.name() + ": " + problem;
  }

  private void probe(TargetState ts) {
    if (stopped || targets.get(ts.target) != ts) {
      return;
    }
    ts.probing = true;
    long started = timers.nowMillis();
    probe.check(ts.target, Probes.timeout(service.probe(), ts.counter.health() != Health.UNKNOWN)).onComplete(ar -> {
      ts.probing = false;
      if (stopped || targets.get(ts.target) != ts) {
        return; // stopped, or the target left the pool while its probe was out
      }
      record(ts, ar.succeeded() ? ar.result() : new ProbeResult(false, 0, String.valueOf(ar.cause())));
      long interval = service.probe().interval().toMillis();
      double spread = service.probe().jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
      long next = ts.probeAgainAtOnce ? 0 : Math.round(interval * (1 + spread)) - (timers.nowMillis() - started);
      ts.probeAgainAtOnce = false;
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
    if (!started || !discoveryKnown || targets.isEmpty()) {
      return; // nothing to decide on yet
    }
    if (lastApply == null && targets.values().stream().anyMatch(ts -> ts.counter.health() == Health.UNKNOWN)) {
      return; // the first apply waits for every node's first answer
    }
    ServerSet desired = Decision.desired(List.copyOf(targets.keySet()), t -> targets.get(t).counter.health(),
        t -> targets.get(t).placement, service.whenEmpty(), applied);
    if (requested == null || !desired.sameServers(requested)) {
      requested = desired;
      requestedAtNanos = System.nanoTime();
      if (writer.switchesLive()) {
        apply();
      } else {
        coalescer.changed();
      }
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
    long decidedAt = requestedAtNanos;
    applying = writer.apply(set);
    applying.onComplete(ar -> {
      applying = null;
      if (stopped) {
        return;
      }
      ApplyResult result = ar.succeeded() ? ar.result()
          : new ApplyResult(ApplyResult.Outcome.FAILED, "none", 0, List.of("apply crashed: " + ar.cause()));
      lastApply = result;
      lastApplyAt = Instant.now();
      lastApplySinceDecisionNanos = System.nanoTime() - decidedAt;
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
          List<String> draining = set.nodes(ServerState.DRAIN);
          LOG.info("service {}: in rotation now [{}]{} ({}) via {} in {} ms", service.name(), String.join(", ", set.activeNodes()),
              draining.isEmpty() ? "" : ", draining [" + String.join(", ", draining) + "]",
              set.reason(), result.method(), String.format("%.1f", result.durationNanos() / 1e6));
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

  @Override
  public void persisted(FileWrite write) {
    metrics.fileWrite(service.name(), write);
    lastFileWrite = new JsonObject().put("at", Instant.now().toString())
        .put("outcome", write.outcome().name().toLowerCase())
        .put("durationMs", write.durationNanos() / 1e6)
        .put("error", write.error());
    events.accept(new JsonObject().put("type", "file").put("service", service.name()).put("file", lastFileWrite));
  }

  @Override
  public void drift(List<String> differences, boolean corrected) {
    metrics.drift(service.name());
    lastDrift = new JsonObject().put("at", Instant.now().toString())
        .put("differences", new JsonArray(differences)).put("corrected", corrected);
    events.accept(new JsonObject().put("type", "drift").put("service", service.name()).put("drift", lastDrift));
  }

  @Override
  public void removed(String server, boolean atDrainTimeout) {
    events.accept(new JsonObject().put("type", "removed").put("service", service.name())
        .put("server", server).put("atDrainTimeout", atDrainTimeout));
  }

  /** How many servers of the applied set are in the state (for the per-service gauge). */
  private int count(ServerState state) {
    return applied == null ? 0 : applied.nodes(state).size();
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
            .put("upstream", service.lb().upstream())
            .put("live", writer.switchesLive()))
        .put("nodes", nodes);
    if (discovery != null) {
      out.put("discovery", new JsonObject().put("source", discovery.describe()).put("problem", discovery.problem()));
    }
    if (applied != null) {
      out.put("serverSet", new JsonObject()
          .put("active", new JsonArray(applied.activeNodes()))
          .put("draining", new JsonArray(applied.nodes(ServerState.DRAIN)))
          .put("reason", applied.reason()));
    }
    if (lastApply != null) {
      out.put("lastApply", new JsonObject()
          .put("at", lastApplyAt.toString())
          .put("outcome", lastApply.outcome().name().toLowerCase())
          .put("method", lastApply.method())
          .put("durationMs", lastApply.durationNanos() / 1e6)
          .put("sinceDecisionMs", lastApplySinceDecisionNanos / 1e6)
          .put("errors", new JsonArray(lastApply.errors())));
    }
    out.put("lastFileWrite", lastFileWrite);
    out.put("lastDrift", lastDrift);
    return out;
  }

  private JsonObject nodeStatus(TargetState ts) {
    ServerState state = applied == null ? null : applied.state(ts.target);
    JsonObject node = new JsonObject()
        .put("name", ts.target.node())
        .put("address", ts.target.hostPort())
        .put("health", ts.counter.health().name().toLowerCase())
        .put("state", state == null ? null : state.word())
        .put("kubernetes", ts.placement == Placement.UNKNOWN ? null : ts.placement.name().toLowerCase())
        .put("inRotation", state == ServerState.READY)
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
    boolean probing;
    boolean probeAgainAtOnce;
    Placement placement = Placement.UNKNOWN;
    final AtomicInteger healthGauge = new AtomicInteger(-1);
    final AtomicInteger inRotationGauge = new AtomicInteger(0);

    TargetState(Target target, HealthCounter counter) {
      this.target = target;
      this.counter = counter;
    }
  }
}
