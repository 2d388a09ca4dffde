package dev.lbhealth.agent.events;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.status.AgentMetrics;
import dev.lbhealth.agent.status.ConfigReload;
import dev.lbhealth.agent.status.ServiceStatus;
import java.util.function.Supplier;

/** The Prometheus series (/metrics) as a listener: counters, timers and each target's series. */
public final class MetricsEvents implements EventListener {
  private final AgentMetrics metrics;

  public MetricsEvents(AgentMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public TargetListener targetAdded(Target target) {
    AgentMetrics.TargetMeters meters = metrics.targetMeters(target);
    return new TargetListener() {
      @Override
      public void probed(boolean healthy, long latencyNanos) {
        meters.probed(healthy, latencyNanos);
      }

      @Override
      public void health(Health now) {
        meters.transition(now);
      }

      @Override
      public void inRotation(boolean inRotation) {
        meters.inRotation(inRotation);
      }
    };
  }

  @Override
  public void targetRemoved(Target target) {
    metrics.forget(target);
  }

  @Override
  public void probeInconclusive(Target target) {
    metrics.inconclusive(target.service());
  }

  @Override
  public void applied(String service, ServerSet set, ApplyResult result, Supplier<ServiceStatus> status) {
    metrics.apply(service, result);
  }

  @Override
  public void fileWritten(String service, FileWrite write, ServiceStatus.FileWritten shown) {
    metrics.fileWrite(service, write);
  }

  @Override
  public void drift(String service, ServiceStatus.Drift drift) {
    metrics.drift(service);
  }

  @Override
  public void configReloaded(ConfigReload reload) {
    metrics.configReload(reload.outcome());
  }
}
