package dev.lbhealth.agent;

import dev.lbhealth.agent.apply.ApplyListener;
import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.apply.LbWriter;
import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.timing.Coalescer;
import dev.lbhealth.agent.decision.Decision;
import dev.lbhealth.agent.decision.NoHealthyNode;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.timing.Timers;
import dev.lbhealth.agent.discovery.BackendSource;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.status.AgentMetrics;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one service's state on the agent's context: its targets (static nodes and what discovery
 * pushes, in a {@link TargetPool} that probes them), the desired server set, and its applies.
 * Only the very first apply waits for every target's first answer. A writer that switches the LB live
 * gets each change at once; one that reloads gets them coalesced. At most one apply runs at a
 * time; changes that arrive meanwhile are applied right after it. Not thread-safe: every method
 * runs on the agent's context.
 */
final class ServiceMonitor implements ApplyListener {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceMonitor.class);
  private static final long RETRY_AFTER_FAILURE_MS = 5_000;
  /** How often an apply the LB asked to hold (nginx: too many old workers) is tried again. */
  private static final long RECHECK_HELD_MS = 500;

  private ServiceConfig service;
  private final Probe probe;
  private final LbWriter writer;
  private final Coalescer coalescer;
  private final TargetPool pool;
  /** Pushes discovered targets (Kubernetes), or null for static nodes only. */
  private final BackendSource discovery;
  private final java.util.function.BooleanSupplier applyDetail;
  private Map<Target, Placement> discovered = Map.of();
  /** Whether the source has told its first view: nothing is decided before. */
  private boolean discoveryKnown;
  private boolean started;
  private ServerSet requested;
  private long requestedAtNanos;
  private ServerSet applied;
  /** The set on its way to the LB (an apply in flight), or null. */
  private ServerSet sending;
  private ApplyResult lastApply;
  /** The last apply was held by the LB (logged once per episode). */
  private boolean held;
  private Instant lastApplyAt;
  private long lastApplySinceDecisionNanos;
  private JsonObject lastFileWrite;
  private JsonObject lastDrift;
  /** The apply in flight, if any; stop() waits for it. */
  private Future<ApplyResult> applying;
  private boolean applyAgain;
  /** The replaced monitor's apply in flight, which this one's applies wait for (or null). */
  private Future<?> applyGate;
  private boolean waitingForGate;
  private long holdTimer = -1;
  /**
   * A change that discovery asked for (a node joining, leaving, draining) is pending: rare and
   * planned, it is not held by the reload budget, which is there for probe flaps.
   */
  private boolean discoveryChanged;
  private boolean stopped;

  private final Runnable beforeApply;
  private final Runnable afterApply;
  private final AgentMetrics metrics;
  private final Timers timers;
  private final Consumer<JsonObject> events;
  /** Changes /status shows (one per event); the encoding below is kept until the next. */
  private long changes;
  private Buffer encoded;
  private long encodedChanges = -1;
  private long encodedAtMillis;

  /**
   * @param writers makes the service's writer, given this monitor as the listener of its reports
   * @param beforeApply runs as an apply starts, before the LB is touched, on the agent's context:
   *     /status, read after the LB shows the change, must show it too
   * @param afterApply runs after every apply, on the agent's context
   * @param events what happened, as JSON for /events
   * @param applyDetail whether an apply event is to carry the whole service (someone follows /events)
   */
  ServiceMonitor(ServiceConfig service, BackendSource discovery, Probe probe, Function<ApplyListener, LbWriter> writers,
      Timers timers, Runnable beforeApply, Runnable afterApply, AgentMetrics metrics, Consumer<JsonObject> events,
      java.util.function.BooleanSupplier applyDetail) {
    this.discovery = discovery;
    this.applyDetail = applyDetail;
    this.discoveryKnown = discovery == null;
    this.beforeApply = beforeApply;
    this.afterApply = afterApply;
    this.metrics = metrics;
    this.timers = timers;
    // Every event is a change that /status shows: the service's cached encoding is stale.
    this.events = event -> {
      changes++;
      events.accept(event);
    };
    this.service = service;
    this.probe = probe;
    this.writer = writers.apply(this);
    this.pool = new TargetPool(service, probe, timers, metrics, this::healthChanged);
    this.coalescer = new Coalescer(timers, service.coalesceMin().toMillis(), service.coalesceMax().toMillis(), this::apply);
    metrics.servers(service.name(), this::count);
    metrics.failOpen(service.name(), this::failsOpen);
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

  /** The static nodes plus the discovered targets on nodes not listed statically, to the pool. */
  private void rebuild(boolean spread) {
    List<Target> statics = new StaticBackendSource().targets(service);
    Map<Target, Placement> view = statics.isEmpty() ? discovered : new LinkedHashMap<>();
    if (!statics.isEmpty()) {
      Set<String> staticNodes = new HashSet<>();
      for (Target t : statics) {
        view.put(t, Placement.UNKNOWN);
        staticNodes.add(t.node());
      }
      discovered.forEach((t, p) -> {
        if (!staticNodes.contains(t.node())) {
          view.put(t, p);
        }
      });
    }
    if (pool.update(service, view, spread)) {
      discoveryChanged = !spread;
      decide();
    }
  }

  /** A target's health changed: tell /events and decide again. */
  private void healthChanged(TargetState ts, Health before) {
    events.accept(new JsonObject().put("type", "health").put("service", service.name())
        .put("node", ts.toJson(applied == null ? null : applied.state(ts.target))));
    decide();
  }

  Future<Void> stop() {
    stopped = true;
    coalescer.cancel();
    timers.cancelTimer(holdTimer);
    Future<Void> sourceStopped = discovery == null ? Future.succeededFuture() : discovery.stop();
    pool.stop();
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

  /**
   * Whether an apply has succeeded and the LB is seen to serve it: the LB has had this service's
   * servers at least once, and nothing says it does not run them now (a reload the Runtime API
   * cannot show, an LB down).
   */
  boolean servedOnce() {
    return applied != null && writer.problem() == null;
  }

  /** One short line for systemd's STATUS=: what is in rotation, how many nodes are up. */
  String summary() {
    int up = pool.upCount(); // STATUS= is checked twice a second: no scan of the pool
    String rotation = applied == null ? "nothing applied yet" : "in rotation [" + Names.listed(applied.activeNodes()) + "]";
    return service.name() + ": " + rotation + ", " + up + "/" + pool.states().size() + " up";
  }

  /** Null while healthy, else why not (for /healthz). */
  String problem() {
    if (lastApply == null && discoveryKnown && discovery != null && !discovery.listed() && pool.isEmpty()) {
      // The API has not listed within the source's first wait (forbidden, away): the LB keeps the
      // servers it has, and the warning says why nothing is known. Both boxes of a pair see the
      // same API: no reason to fail over.
      return null;
    }
    if (lastApply == null && discoveryKnown && pool.isEmpty()) {
      return "service " + service.name() + ": no targets (no static nodes, and discovery found none)";
    }
    if (lastApply == null) {
      return "service " + service.name() + ": nothing applied yet";
    }
    if (lastApply.failed()) {
      return "service " + service.name() + ": last apply failed: " + String.join("; ", lastApply.errors());
    }
    String lb = writer.problem();
    return lb == null ? null : "service " + service.name() + ": " + lb;
  }

  /**
   * What is degraded without making the agent unhealthy: discovery not current (the API out of
   * reach), an apply held by the LB, no healthy node (fail-open, or clients refused, with why).
   */
  List<String> warnings() {
    List<String> warnings = new ArrayList<>(2);
    String discoveryProblem = discovery == null ? null : discovery.problem();
    if (discoveryProblem != null) {
      warnings.add("service " + service.name() + ": " + discoveryProblem);
    }
    if (lastApply != null && lastApply.outcome() == ApplyResult.Outcome.HELD) {
      warnings.add("service " + service.name() + ": apply held: " + String.join("; ", lastApply.errors()));
    }
    if (applied != null && !applied.healthy()) { // the nodes are looked at only then: 10,000 of them twice a second is not free
      String empty = NoHealthyNode.warning(applied, pool.states().stream()
          .map(ts -> new NoHealthyNode.Node(ts.target.node(), ts.placement,
              ts.last == null || ts.last.healthy() ? null : ts.last.detail()))
          .toList());
      if (empty != null) {
        warnings.add("service " + service.name() + ": " + empty);
      }
    }
    return warnings;
  }

  /** Whether the LB has servers in rotation although none is healthy (the per-service gauge). */
  boolean failsOpen() {
    return NoHealthyNode.failsOpen(applied);
  }

  private void decide() {
    if (!started || !discoveryKnown || (pool.isEmpty() && requested == null)) {
      return; // nothing to decide on yet (once decided, no target at all is a set too: every server leaves)
    }
    if (lastApply == null && pool.anyUnknown()) {
      return; // the first apply waits for every node's first answer
    }
    ServerSet desired = Decision.desired(pool.targets(), t -> pool.get(t).health(), t -> pool.get(t).placement,
        service.whenEmpty(), applied);
    if (requested == null || !desired.sameServers(requested)) {
      requested = desired;
      requestedAtNanos = System.nanoTime();
      if (writer.switchesLive()) {
        apply();
      } else {
        coalescer.changed();
      }
    } else {
      if (applying == null && holdTimer < 0) {
        discoveryChanged = false; // nothing to apply for it
      }
      if (!desired.reason().equals(requested.reason())) {
        // The same servers for another reason (the one node in rotation by fail-open is healthy
        // now): the LB needs nothing, but what /status and the warnings say of it changes.
        requested = desired;
        if (applying == null && desired.sameServers(applied)) {
          applied = desired;
        }
        changes++;
      }
    }
  }

  /**
   * Applies wait for {@code previous} (the replaced monitor's apply in flight after a config
   * change) so that two writers never work on one LB file at once; probing does not wait.
   */
  void applyAfter(Future<?> previous) {
    applyGate = previous;
  }

  private void apply() {
    if (stopped) {
      return;
    }
    if (applyGate != null && !applyGate.isComplete()) {
      if (!waitingForGate) {
        waitingForGate = true;
        applyGate.onComplete(done -> {
          waitingForGate = false;
          apply();
        });
      }
      return;
    }
    if (applying != null) {
      applyAgain = true;
      return;
    }
    long hold = discoveryChanged ? 0 : writer.holdMillis();
    if (hold > 0) {
      // Within the reload budget: one apply when it allows, with the newest set by then.
      if (holdTimer < 0) {
        holdTimer = timers.setTimer(hold, () -> {
          holdTimer = -1;
          apply();
        });
      }
      return;
    }
    discoveryChanged = false;
    ServerSet set = requested;
    long decidedAt = requestedAtNanos;
    // /status shows the health and the set that caused this apply once HAProxy can show them.
    sending = set;
    changes++;
    beforeApply.run();
    applying = writer.apply(set);
    applying.onComplete(ar -> {
      applying = null;
      sending = null;
      if (stopped) {
        return;
      }
      ApplyResult result = ar.succeeded() ? ar.result()
          : new ApplyResult(ApplyResult.Outcome.FAILED, "none", 0, List.of("apply crashed: " + ar.cause()));
      lastApply = result;
      lastApplyAt = Instant.now();
      lastApplySinceDecisionNanos = System.nanoTime() - decidedAt;
      metrics.apply(service.name(), result);
      if (result.outcome() == ApplyResult.Outcome.HELD) {
        if (!held) {
          LOG.warn("service {}: apply of [{}] held: {}", service.name(), Names.listed(set.activeNodes()), String.join("; ", result.errors()));
        }
        held = true;
        timers.setTimer(RECHECK_HELD_MS, () -> {
          if (lastApply == result) {
            apply();
          }
        });
      } else if (result.failed()) {
        held = false;
        LOG.warn("service {}: apply of [{}] failed: {}", service.name(), Names.listed(set.activeNodes()), String.join("; ", result.errors()));
        timers.setTimer(RETRY_AFTER_FAILURE_MS, () -> {
          if (requested == set && lastApply == result) {
            apply();
          }
        });
      } else {
        if (held) {
          LOG.info("service {}: no longer held", service.name());
        }
        held = false;
        List<ServerSet.Server> changed = set.statesChangedFrom(applied);
        applied = set;
        for (ServerSet.Server server : changed != null ? changed : set.servers()) {
          TargetState ts = pool.get(server.target());
          if (ts != null) { // gone from the pool while the set was applied
            ts.meters.inRotation(server.state() == ServerState.READY);
          }
        }
        if (result.outcome() == ApplyResult.Outcome.APPLIED) {
          List<String> draining = set.nodes(ServerState.DRAIN);
          LOG.info("service {}: in rotation now [{}]{} ({}) via {} in {} ms", service.name(), Names.listed(set.activeNodes()),
              draining.isEmpty() ? "" : ", draining [" + Names.listed(draining) + "]",
              set.reason(), result.method(), String.format("%.1f", result.durationNanos() / 1e6));
        }
      }
      // The agent's snapshot first: a client that sees the apply event and asks /status sees it too.
      afterApply.run();
      // The service as in /status: 5,000 nodes of JSON, built only for someone who follows /events.
      events.accept(new JsonObject().put("type", "apply").put("service",
          applyDetail.getAsBoolean() ? status() : new JsonObject().put("name", service.name())));
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

  /**
   * The service's /status JSON, encoded again only after a change or once the last encoding is
   * {@code maxAgeMillis} old (the probes' times and counts in it move without events).
   */
  Buffer encodedStatus(long maxAgeMillis) {
    long now = timers.nowMillis();
    if (encoded == null || encodedChanges != changes || now - encodedAtMillis >= maxAgeMillis) {
      encoded = status().toBuffer();
      encodedChanges = changes;
      encodedAtMillis = now;
    }
    return encoded;
  }

  JsonObject status() {
    // The set on its way to the LB, while an apply runs: the LB may show it already.
    ServerSet shown = sending != null ? sending : applied;
    JsonArray nodes = new JsonArray();
    pool.states().forEach(ts -> nodes.add(ts.toJson(shown == null ? null : shown.state(ts.target))));
    JsonObject out = new JsonObject()
        .put("name", service.name())
        .put("port", service.port())
        .put("probe", service.probe().type().name().toLowerCase())
        .put("lb", new JsonObject()
            .put("kind", service.lb().kind().name().toLowerCase())
            .put("file", service.lb().file().toString())
            .put("upstream", service.lb().upstream())
            .put("live", writer.switchesLive())
            .mergeIn(writer.status()))
        .put("nodes", nodes)
        .put("problem", problem())
        .put("warnings", new JsonArray(warnings()))
        .put("failOpen", failsOpen());
    if (discovery != null) {
      long age = discovery.viewAgeMillis();
      out.put("discovery", new JsonObject().put("source", discovery.describe()).put("problem", discovery.problem())
          .put("listed", discovery.listed()).put("viewAgeSeconds", age < 0 ? null : Math.round(age / 100.0) / 10.0));
    }
    if (shown != null) {
      out.put("serverSet", new JsonObject()
          .put("active", new JsonArray(shown.activeNodes()))
          .put("draining", new JsonArray(shown.nodes(ServerState.DRAIN)))
          .put("reason", shown.reason())
          .put("applying", sending != null));
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
}
