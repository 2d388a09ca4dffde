package dev.lbhealth.agent.targets;

import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.timing.Timers;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.FlapDamping;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.health.HealthCounter;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.probe.Probes;
import dev.lbhealth.agent.events.EventListener;
import java.time.Instant;
import java.util.Collection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A service's live pool of targets, each probed on its own jittered schedule with rise/fall
 * health. Targets come and go ({@link #update}): a new one is probed (spread over a quarter
 * interval at start, else at once), a removed one stops being probed and loses its series, an
 * unchanged one keeps its state; a target whose placement turns to serving is probed at once and
 * rises on its first good probe. Health changes are told to the owner, everything else that
 * happens to the events. Not thread-safe: used on the agent's context.
 */
public final class TargetPool {
  /** Told after a target's health changed, on the agent's context. */
  public interface Owner {
    void healthChanged(TargetState target, Health before, ProbeResult result);
  }

  private ServiceConfig service;
  private final Probe probe;
  private final Timers timers;
  private final EventListener events;
  /** At most this many nodes are all probed fast while a service has no healthy node. */
  static final int SEARCH_MAX = 100;
  /** How many targets are up, and how many have no verdict yet; counted again after each health change, not per probe. */
  private int up;
  private int unknown;
  private final Owner owner;
  private Map<Target, TargetState> targets = new LinkedHashMap<>();
  private boolean stopped;

  public TargetPool(ServiceConfig service, Probe probe, Timers timers, EventListener events, Owner owner) {
    this.service = service;
    this.probe = probe;
    this.timers = timers;
    this.events = events;
    this.owner = owner;
  }

  /**
   * Makes {@code view} the pool (targets in LB order, each with its placement); returns whether
   * anything the decision reads changed (a target added or removed, a placement).
   *
   * @param config the service as configured now (it may differ in its static nodes only)
   * @param spread first probes of new targets spread over a quarter interval (start) or at once
   */
  public boolean update(ServiceConfig config, Map<Target, Placement> view, boolean spread) {
    service = config;
    if (view.size() == targets.size()) {
      // The same targets (the common case: one pod changed among thousands): only placements move.
      List<Map.Entry<Target, Placement>> moved = new ArrayList<>(1);
      boolean same = true;
      for (Map.Entry<Target, Placement> e : view.entrySet()) {
        TargetState ts = targets.get(e.getKey());
        if (ts == null) {
          same = false;
          break;
        }
        if (ts.placement != e.getValue()) {
          moved.add(e);
        }
      }
      if (same) {
        moved.forEach(e -> placed(targets.get(e.getKey()), e.getValue()));
        return !moved.isEmpty();
      }
    }
    Map<Target, TargetState> old = targets;
    Map<Target, TargetState> pool = new LinkedHashMap<>();
    long interval = service.probe().interval().toMillis();
    // First probes spread over a quarter interval (a quick first apply), or for a big pool over
    // one millisecond per target up to the whole interval: 10,000 targets start as an even
    // stream over the interval, not a burst of 40,000 a second.
    long window = Math.min(interval, Math.max(interval / 4, view.size()));
    List<String> added = new ArrayList<>();
    boolean placementChanged = false;
    for (Map.Entry<Target, Placement> e : view.entrySet()) {
      TargetState ts = old.remove(e.getKey());
      if (ts == null) {
        added.add(e.getKey().node());
        ts = new TargetState(e.getKey(), new HealthCounter(service.probe().rise(), service.probe().fall()),
            new FlapDamping(service.probe().damping()), e.getValue());
        ts.listener = events.targetAdded(ts.target);
        TargetState fresh = ts;
        ts.probe = probe.prepare(ts.target);
        ts.probeAction = () -> probe(fresh);
        ts.resultHandler = result -> probed(fresh, result);
        ts.next = timers.schedule(spread ? timers.random().nextLong(Math.max(1, window)) : 0, ts.probeAction);
      } else if (ts.placement != e.getValue()) {
        placementChanged = true;
        placed(ts, e.getValue());
      }
      pool.put(ts.target, ts); // the target kept: the same object through every stage while it stays
    }
    for (TargetState gone : old.values()) {
      gone.inPool = false;
      gone.next.cancel();
      events.targetRemoved(gone.target);
    }
    targets = pool;
    countUp();
    boolean poolChanged = !added.isEmpty() || !old.isEmpty();
    if (!spread && poolChanged) {
      events.targetsChanged(service.name(), pool.size(), added, old.keySet().stream().map(Target::node).toList());
    }
    return poolChanged || placementChanged;
  }

  /** What Kubernetes says of the target changed. */
  private void placed(TargetState ts, Placement placement) {
    events.placementChanged(ts.target, ts.placement, placement);
    if (placement == Placement.SERVING) {
      ts.counter.vouch(); // Kubernetes says Ready: one good probe confirms it, whatever rise is
      probeNow(ts);
    }
    ts.placement = placement;
  }

  public boolean isEmpty() {
    return targets.isEmpty();
  }

  /** How many targets are up (counted on health changes, not scanned). */
  public int upCount() {
    return up;
  }

  /** Whether a target has no verdict yet: asked on every health change until the first apply, so counted, not scanned. */
  public boolean anyUnknown() {
    return unknown > 0;
  }

  public List<Target> targets() {
    return List.copyOf(targets.keySet());
  }

  public TargetState get(Target t) {
    return targets.get(t);
  }

  public Collection<TargetState> states() {
    return targets.values();
  }

  public void stop() {
    stopped = true;
    targets.values().forEach(ts -> ts.next.cancel());
  }

  /** Probes the target now: at once, or right after the probe that is out. */
  private void probeNow(TargetState ts) {
    if (ts.probing) {
      ts.probeAgainAtOnce = true;
    } else {
      ts.next.cancel();
      ts.next = timers.schedule(0, ts.probeAction);
    }
  }

  private void probe(TargetState ts) {
    if (stopped || !ts.inPool) {
      return;
    }
    ts.probing = true;
    ts.probe.check(Probes.timeout(service.probe(), ts.health() != Health.UNKNOWN), ts.resultHandler);
  }

  private void probed(TargetState ts, ProbeResult result) {
    ts.probing = false;
    if (stopped || !ts.inPool) {
      return; // stopped, or the target left the pool while its probe was out
    }
    // One clock read for all that follows; the probe's start is its end less the time it took.
    long now = timers.nowMillis();
    long started = now - result.latencyNanos() / 1_000_000;
    if (result.timedOut() && timers.stalledSince(started)) {
      // The agent itself was held up while this probe was out (GC pause, blocked loop): the
      // timeout may be ours, not the node's. Not counted; the node is asked again soon.
      ts.inconclusive++;
      events.probeInconclusive(ts.target);
      ts.next = timers.schedule(service.probe().fastInterval().toMillis(), ts.probeAction);
      return;
    }
    record(ts, result, now);
    long interval = (fast(ts) ? service.probe().fastInterval() : service.probe().interval()).toMillis();
    double spread = service.probe().jitter() * (2 * timers.random().nextDouble() - 1);
    long next = ts.probeAgainAtOnce ? 0 : Math.round(interval * (1 + spread)) - (now - started);
    ts.probeAgainAtOnce = false;
    // This result may have made the service lose its last healthy node, which brought every
    // node's next probe forward, this one's too: that one is replaced, never run beside it.
    ts.next.cancel();
    ts.next = timers.schedule(Math.max(1, next), ts.probeAction);
  }

  /**
   * Whether the target is probed at the fast interval: its health is not known yet (the first
   * apply waits for every node's verdict), it is changing (up but failing, down but answering),
   * or the service has no healthy node (a pod that comes up anywhere is found at once).
   */
  private boolean fast(TargetState ts) {
    Health h = ts.health();
    return h == Health.UNKNOWN || searching()
        || (h == Health.UP && ts.counter.consecutiveFailures() > 0)
        || (h == Health.DOWN && ts.counter.consecutiveSuccesses() > 0);
  }

  /**
   * The service has no healthy node, so every node is probed fast. Not for a service of more than
   * {@link #SEARCH_MAX} nodes: 10,000 nodes at a fast interval would be the agent's own outage.
   */
  private boolean searching() {
    return up == 0 && targets.size() <= SEARCH_MAX;
  }

  /** Counts the targets that are up, and those of unknown health, from scratch: when the pool itself changed. */
  private void countUp() {
    int n = 0;
    int u = 0;
    for (TargetState t : targets.values()) {
      if (t.health() == Health.UP) {
        n++;
      } else if (t.health() == Health.UNKNOWN) {
        u++;
      }
    }
    unknown = u;
    setUp(n);
  }

  /** One target's health changed: the count moves by one, no scan (10,000 targets coming up at start cost 10,000 steps, not 10,000 scans). */
  private void countChange(Health before, Health after) {
    unknown += (after == Health.UNKNOWN ? 1 : 0) - (before == Health.UNKNOWN ? 1 : 0);
    setUp(up - (before == Health.UP ? 1 : 0) + (after == Health.UP ? 1 : 0));
  }

  private void setUp(int n) {
    boolean wasSearching = searching();
    up = n;
    if (searching() && !wasSearching && !stopped) {
      // The last healthy node is gone: every node's next probe comes within a fast interval, not
      // at the end of the normal one it is waiting out (spread, so they do not all go at once).
      long fastMillis = Math.max(1, service.probe().fastInterval().toMillis());
      for (TargetState t : targets.values()) {
        if (!t.probing && t.health() != Health.UNKNOWN) {
          t.next.cancel();
          t.next = timers.schedule(1 + timers.random().nextLong(fastMillis), t.probeAction);
        }
      }
    }
  }

  private void record(TargetState ts, ProbeResult result, long now) {
    ts.last = result;
    ts.lastAtMillis = timers.epochMillis();
    ts.listener.probed(result.healthy(), result.latencyNanos());
    Health before = ts.health();
    Health probedBefore = ts.counter.health();
    boolean flipped = ts.counter.record(result.healthy());
    boolean wasDamped = ts.damped;
    ts.damped = flipped && probedBefore != Health.UNKNOWN ? ts.damping.flip(now) : ts.damping.damped(now);
    if (ts.damped != wasDamped) {
      events.dampingChanged(ts.target, ts.damped, ts.damping.penalty(now));
    }
    if (ts.health() != before) {
      countChange(before, ts.health());
      ts.since = Instant.ofEpochMilli(ts.lastAtMillis);
      ts.listener.health(ts.health());
      owner.healthChanged(ts, before, result);
    }
  }
}
