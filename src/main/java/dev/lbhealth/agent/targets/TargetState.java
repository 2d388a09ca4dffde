package dev.lbhealth.agent.targets;

import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.timing.Timers;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.FlapDamping;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.health.HealthCounter;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.events.TargetListener;
import dev.lbhealth.agent.status.NodeStatus;
import io.vertx.core.Handler;
import java.time.Instant;
import java.util.Locale;

/** One target of a service's pool: its health, last probe, probe schedule and placement. */
public final class TargetState {
  final Target target;
  final HealthCounter counter;
  final FlapDamping damping;
  /** What is told of its probes and rotation (its series), made once. */
  TargetListener listener = TargetListener.NONE;
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
  public Health health() {
    return damped && counter.health() == Health.UP ? Health.DOWN : counter.health();
  }

  public Target target() {
    return target;
  }

  public Placement placement() {
    return placement;
  }

  /** Its last probe's result, or null before the first. */
  public ProbeResult last() {
    return last;
  }

  /** An applied set put it in rotation or took it out. */
  public void inRotation(boolean inRotation) {
    listener.inRotation(inRotation);
  }

  /** The target as /status shows it, with {@code state} its state in the applied set (or null). */
  public NodeStatus status(ServerState state) {
    return new NodeStatus(target.node(), target.hostPort(), health().name().toLowerCase(Locale.ROOT), damped,
        state == null ? null : state.word(),
        placement == Placement.UNKNOWN ? null : placement.name().toLowerCase(Locale.ROOT),
        state == ServerState.READY, counter.consecutiveSuccesses(), counter.consecutiveFailures(),
        since == null ? null : since.toString(), inconclusive > 0 ? inconclusive : null,
        last == null ? null : new NodeStatus.LastProbe(Instant.ofEpochMilli(lastAtMillis).toString(), last.healthy(),
            last.latencyNanos() / 1e6, last.detail()));
  }
}
