package dev.lbhealth.agent.service;

import dev.lbhealth.agent.apply.ApplyListener;
import dev.lbhealth.agent.apply.ApplyQueue;
import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.apply.LbWriter;
import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.Decision;
import dev.lbhealth.agent.decision.NoHealthyNode;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.BackendSource;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.events.EventListener;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.status.ServiceStatus;
import dev.lbhealth.agent.targets.TargetPool;
import dev.lbhealth.agent.targets.TargetState;
import dev.lbhealth.agent.timing.Timers;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One service on the agent's context: its targets (static nodes and what discovery pushes, in a
 * {@link TargetPool} that probes them), the server set they make, and its {@link ApplyQueue} to
 * the LB. Only the very first apply waits for every target's first answer. What happens is told
 * to the events. Not thread-safe: every method runs on the agent's context.
 */
public final class ServiceMonitor implements TargetPool.Owner, ApplyQueue.Listener, ApplyListener {
  private ServiceConfig service;
  private final Probe probe;
  private final LbWriter writer;
  private final ApplyQueue queue;
  private final TargetPool pool;
  /** Pushes discovered targets (Kubernetes), or null for static nodes only. */
  private final BackendSource discovery;
  private final EventListener events;
  private final Timers timers;
  private Map<Target, Placement> discovered = Map.of();
  /** Whether the source has told its first view: nothing is decided before. */
  private boolean discoveryKnown;
  private boolean started;
  private boolean stopped;
  private ServiceStatus.FileWritten lastFileWrite;
  private ServiceStatus.Drift lastDrift;
  /** Changes /status shows; the service's status is kept until the next (see {@link ServiceReport}). */
  private final ServiceReport report;

  /** @param writers makes the service's writer, given this monitor as the listener of its reports */
  public ServiceMonitor(ServiceConfig service, BackendSource discovery, Probe probe, Function<ApplyListener, LbWriter> writers,
      Timers timers, EventListener events) {
    this.service = service;
    this.discovery = discovery;
    this.discoveryKnown = discovery == null;
    this.probe = probe;
    this.timers = timers;
    this.events = events;
    this.writer = writers.apply(this);
    this.pool = new TargetPool(service, probe, timers, events, this);
    this.queue = new ApplyQueue(writer, timers, service.coalesceMin(), service.coalesceMax(), this);
    this.report = new ServiceReport(this, timers);
  }

  /** Starts probing the static nodes, and the discovery source if there is one. */
  public void start() {
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
  public void reconfigure(ServiceConfig config) {
    service = config;
    rebuild(false);
  }

  /** The static nodes plus the discovered targets on nodes not listed statically, to the pool. */
  private void rebuild(boolean spread) {
    if (pool.update(service, new StaticBackendSource().withDiscovered(service, discovered), spread)) {
      if (!spread) {
        queue.planned();
      }
      decide();
    }
  }

  @Override
  public void healthChanged(TargetState target, Health before, ProbeResult result) {
    report.changed();
    events.healthChanged(target.target(), before, target.health(), result, () -> target.status(stateShown(target.target())));
    decide();
  }

  /** Applies wait for {@code previous} (the replaced monitor's apply in flight after a config change); probing does not. */
  void applyAfter(Future<?> previous) {
    queue.after(previous);
  }

  public Future<Void> stop() {
    stopped = true;
    Future<Void> sourceStopped = discovery == null ? Future.succeededFuture() : discovery.stop();
    pool.stop();
    return Future.join(queue.stop(), sourceStopped).transform(done -> writer.close()).transform(done -> probe.close());
  }

  public String name() {
    return service.name();
  }

  boolean appliedOnce() {
    return queue.last() != null;
  }

  /**
   * Whether an apply has succeeded and the LB is seen to serve it: the LB has had this service's
   * servers at least once, and nothing says it does not run them now (a reload the Runtime API
   * cannot show, an LB down).
   */
  public boolean servedOnce() {
    return queue.applied() != null && writer.problem() == null;
  }

  /** One short line for systemd's STATUS=: what is in rotation, how many nodes are up. */
  String summary() {
    int up = pool.upCount(); // STATUS= is checked twice a second: no scan of the pool
    ServerSet applied = queue.applied();
    String rotation = applied == null ? "nothing applied yet" : "in rotation [" + Names.listed(applied.activeNodes()) + "]";
    return service.name() + ": " + rotation + ", " + up + "/" + pool.states().size() + " up";
  }

  /** Null while healthy, else why not (for /healthz). */
  public String problem() {
    ApplyResult last = queue.last();
    if (last == null && discoveryKnown && discovery != null && !discovery.listed() && pool.isEmpty()) {
      // The API has not listed within the source's first wait (forbidden, away): the LB keeps the
      // servers it has, and the warning says why nothing is known. Both boxes of a pair see the
      // same API: no reason to fail over.
      return null;
    }
    if (last == null && discoveryKnown && pool.isEmpty()) {
      return "service " + service.name() + ": no targets (no static nodes, and discovery found none)";
    }
    if (last == null) {
      return "service " + service.name() + ": nothing applied yet";
    }
    if (last.failed()) {
      return "service " + service.name() + ": last apply failed: " + String.join("; ", last.errors());
    }
    String lb = writer.problem();
    return lb == null ? null : "service " + service.name() + ": " + lb;
  }

  /**
   * What is degraded without making the agent unhealthy: discovery not current (the API out of
   * reach), an apply held by the LB, no healthy node (fail-open, or clients refused, with why).
   */
  public List<String> warnings() {
    List<String> warnings = new ArrayList<>(2);
    String discoveryProblem = discovery == null ? null : discovery.problem();
    if (discoveryProblem != null) {
      warnings.add("service " + service.name() + ": " + discoveryProblem);
    }
    ApplyResult last = queue.last();
    if (last != null && last.outcome() == ApplyResult.Outcome.HELD) {
      warnings.add("service " + service.name() + ": apply held: " + String.join("; ", last.errors()));
    }
    ServerSet applied = queue.applied();
    if (applied != null && !applied.healthy()) { // the nodes are looked at only then: 10,000 of them twice a second is not free
      String empty = NoHealthyNode.warning(applied, pool.states().stream()
          .map(ts -> new NoHealthyNode.Node(ts.target().node(), ts.placement(),
              ts.last() == null || ts.last().healthy() ? null : ts.last().detail()))
          .toList());
      if (empty != null) {
        warnings.add("service " + service.name() + ": " + empty);
      }
    }
    return warnings;
  }

  /** Whether the LB has servers in rotation although none is healthy (the per-service gauge). */
  public boolean failsOpen() {
    return NoHealthyNode.failsOpen(queue.applied());
  }

  /** How many servers of the applied set are in the state (for the per-service gauge). */
  public int count(ServerState state) {
    ServerSet applied = queue.applied();
    return applied == null ? 0 : applied.nodes(state).size();
  }

  private void decide() {
    if (!started || !discoveryKnown || (pool.isEmpty() && !queue.wanted())) {
      return; // nothing to decide on yet (once decided, no target at all is a set too: every server leaves)
    }
    if (queue.last() == null && pool.anyUnknown()) {
      return; // the first apply waits for every node's first answer
    }
    ServerSet desired = Decision.desired(pool.targets(), t -> pool.get(t).health(), t -> pool.get(t).placement(),
        service.whenEmpty(), queue.applied());
    if (queue.want(desired)) {
      report.changed();
    }
  }

  @Override
  public void starting(ServerSet set) {
    // /status shows the health and the set that caused this apply once HAProxy can show them.
    report.changed();
    events.applyStarted(service.name(), set);
  }

  @Override
  public void ended(ServerSet set, ApplyResult result, List<ServerSet.Server> changed) {
    report.changed();
    for (ServerSet.Server server : changed) {
      TargetState ts = pool.get(server.target());
      if (ts != null) { // gone from the pool while the set was applied
        ts.inRotation(server.state() == ServerState.READY);
      }
    }
    events.applied(service.name(), set, result, this::status);
  }

  @Override
  public void persisted(FileWrite write) {
    report.changed();
    lastFileWrite = new ServiceStatus.FileWritten(now(), write.outcome().name().toLowerCase(java.util.Locale.ROOT),
        write.durationNanos() / 1e6, write.error());
    events.fileWritten(service.name(), write, lastFileWrite);
  }

  @Override
  public void drift(List<String> differences, boolean corrected) {
    report.changed();
    lastDrift = new ServiceStatus.Drift(now(), List.copyOf(differences), corrected);
    events.drift(service.name(), lastDrift);
  }

  @Override
  public void removed(String server, boolean atDrainTimeout) {
    report.changed();
    events.serverRemoved(service.name(), server, atDrainTimeout);
  }

  private String now() {
    return Instant.ofEpochMilli(timers.epochMillis()).toString();
  }

  /** The set /status shows: the one on its way to the LB while an apply runs (the LB may show it already), else the applied one. */
  private ServerSet shown() {
    return queue.sending() != null ? queue.sending() : queue.applied();
  }

  private ServerState stateShown(Target target) {
    ServerSet shown = shown();
    return shown == null ? null : shown.state(target);
  }

  /** The service's /status, made again only after a change or once {@code maxAgeMillis} old. */
  ServiceStatus status(long maxAgeMillis) {
    return report.current(maxAgeMillis);
  }

  /** The service as /status shows it now. */
  public ServiceStatus status() {
    ServerSet shown = shown();
    List<dev.lbhealth.agent.status.NodeStatus> nodes = new ArrayList<>(pool.states().size());
    pool.states().forEach(ts -> nodes.add(ts.status(shown == null ? null : shown.state(ts.target()))));
    return report.status(service, writer, nodes, discovery, shown, queue, lastFileWrite, lastDrift);
  }
}
