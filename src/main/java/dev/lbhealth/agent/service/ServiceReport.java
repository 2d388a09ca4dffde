package dev.lbhealth.agent.service;

import dev.lbhealth.agent.apply.ApplyQueue;
import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.LbWriter;
import dev.lbhealth.agent.config.LbConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.BackendSource;
import dev.lbhealth.agent.status.NodeStatus;
import dev.lbhealth.agent.status.ServiceStatus;
import dev.lbhealth.agent.timing.Timers;
import java.util.List;
import java.util.Locale;

/**
 * A service's /status: made from its parts when /status is read (never per change), and kept
 * until the service changes or it is old (the probes' times and counts in it move without
 * events). Records only: the listener encodes them on a worker.
 */
final class ServiceReport {
  private final ServiceMonitor monitor;
  private final Timers timers;
  private long changes;
  private ServiceStatus made;
  private long madeAtChanges = -1;
  private long madeAtMillis;

  ServiceReport(ServiceMonitor monitor, Timers timers) {
    this.monitor = monitor;
    this.timers = timers;
  }

  /** Something /status shows changed: the status kept is stale. */
  void changed() {
    changes++;
  }

  /** The service's status, made again after a change or once {@code maxAgeMillis} old. */
  ServiceStatus current(long maxAgeMillis) {
    long now = timers.nowMillis();
    if (made == null || madeAtChanges != changes || now - madeAtMillis >= maxAgeMillis) {
      made = monitor.status();
      madeAtChanges = changes;
      madeAtMillis = now;
    }
    return made;
  }

  ServiceStatus status(ServiceConfig service, LbWriter writer, List<NodeStatus> nodes, BackendSource discovery,
      ServerSet shown, ApplyQueue queue, ServiceStatus.FileWritten lastFileWrite, ServiceStatus.Drift lastDrift) {
    LbConfig lb = service.lb();
    boolean nginx = lb.kind() == LbConfig.Kind.NGINX;
    ServiceStatus.Discovery source = null;
    if (discovery != null) {
      long age = discovery.viewAgeMillis();
      source = new ServiceStatus.Discovery(discovery.describe(), discovery.problem(), discovery.listed(),
          age < 0 ? null : Math.round(age / 100.0) / 10.0);
    }
    ApplyResult last = queue.last();
    return new ServiceStatus(service.name(), service.port(), service.probe().type().name().toLowerCase(Locale.ROOT),
        new ServiceStatus.Lb(lb.kind().name().toLowerCase(Locale.ROOT), lb.file().toString(), lb.upstream(),
            writer.switchesLive(), writer.oldWorkers(), nginx ? lb.maxDrainingWorkers() : null),
        nodes, monitor.problem(), monitor.warnings(), monitor.failsOpen(), source,
        shown == null ? null : new ServiceStatus.ServerSetShown(shown.activeNodes(), shown.nodes(ServerState.DRAIN),
            shown.reason(), queue.sending() != null),
        last == null ? null : new ServiceStatus.LastApply(queue.lastAt().toString(),
            last.outcome().name().toLowerCase(Locale.ROOT), last.method(), last.durationNanos() / 1e6,
            queue.lastSinceDecisionNanos() / 1e6, last.errors()),
        lastFileWrite, lastDrift);
  }
}
