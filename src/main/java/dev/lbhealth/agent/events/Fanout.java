package dev.lbhealth.agent.events;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.status.ConfigReload;
import dev.lbhealth.agent.status.NodeStatus;
import dev.lbhealth.agent.status.ServiceStatus;
import java.util.List;
import java.util.function.Supplier;

/** Several listeners told in turn; a target's listeners are gathered once, when it joins. */
final class Fanout implements EventListener {
  private final List<EventListener> listeners;

  Fanout(List<EventListener> listeners) {
    this.listeners = listeners;
  }

  @Override
  public TargetListener targetAdded(Target target) {
    List<TargetListener> each = listeners.stream().map(l -> l.targetAdded(target)).filter(t -> t != TargetListener.NONE).toList();
    if (each.size() < 2) {
      return each.isEmpty() ? TargetListener.NONE : each.get(0);
    }
    return new TargetListener() {
      @Override
      public void probed(boolean healthy, long latencyNanos) {
        each.forEach(t -> t.probed(healthy, latencyNanos));
      }

      @Override
      public void health(Health now) {
        each.forEach(t -> t.health(now));
      }

      @Override
      public void inRotation(boolean inRotation) {
        each.forEach(t -> t.inRotation(inRotation));
      }
    };
  }

  @Override
  public void targetRemoved(Target target) {
    listeners.forEach(l -> l.targetRemoved(target));
  }

  @Override
  public void targetsChanged(String service, int size, List<String> added, List<String> removed) {
    listeners.forEach(l -> l.targetsChanged(service, size, added, removed));
  }

  @Override
  public void placementChanged(Target target, Placement before, Placement after) {
    listeners.forEach(l -> l.placementChanged(target, before, after));
  }

  @Override
  public void probeInconclusive(Target target) {
    listeners.forEach(l -> l.probeInconclusive(target));
  }

  @Override
  public void dampingChanged(Target target, boolean held, double penalty) {
    listeners.forEach(l -> l.dampingChanged(target, held, penalty));
  }

  @Override
  public void healthChanged(Target target, Health before, Health now, ProbeResult result, Supplier<NodeStatus> node) {
    listeners.forEach(l -> l.healthChanged(target, before, now, result, node));
  }

  @Override
  public void applyStarted(String service, ServerSet set) {
    listeners.forEach(l -> l.applyStarted(service, set));
  }

  @Override
  public void applied(String service, ServerSet set, ApplyResult result, Supplier<ServiceStatus> status) {
    listeners.forEach(l -> l.applied(service, set, result, status));
  }

  @Override
  public void fileWritten(String service, FileWrite write, ServiceStatus.FileWritten shown) {
    listeners.forEach(l -> l.fileWritten(service, write, shown));
  }

  @Override
  public void drift(String service, ServiceStatus.Drift drift) {
    listeners.forEach(l -> l.drift(service, drift));
  }

  @Override
  public void serverRemoved(String service, String server, boolean atDrainTimeout) {
    listeners.forEach(l -> l.serverRemoved(service, server, atDrainTimeout));
  }

  @Override
  public void configReloaded(ConfigReload reload) {
    listeners.forEach(l -> l.configReloaded(reload));
  }
}
