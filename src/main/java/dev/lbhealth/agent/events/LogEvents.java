package dev.lbhealth.agent.events;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.status.ServiceStatus;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The agent's log of what happened: one line per change an operator reads in the journal. */
public final class LogEvents implements EventListener {
  private static final Logger LOG = LoggerFactory.getLogger("dev.lbhealth.agent.events");
  /** Services whose last apply was held by the LB: a hold is logged once per episode. */
  private final Set<String> held = new HashSet<>();

  @Override
  public void targetsChanged(String service, int size, List<String> added, List<String> removed) {
    LOG.info("service {}: {} targets now{}{}", service, size,
        added.isEmpty() ? "" : ", added [" + Names.listed(added) + "]",
        removed.isEmpty() ? "" : ", removed [" + Names.listed(removed) + "]");
  }

  @Override
  public void placementChanged(Target target, Placement before, Placement after) {
    LOG.info("service {} node {}: kubernetes says {} (was {})", target.service(), target.node(),
        after.name().toLowerCase(Locale.ROOT), before.name().toLowerCase(Locale.ROOT));
  }

  @Override
  public void dampingChanged(Target target, boolean damped, double penalty) {
    LOG.warn("service {} node {} ({}): {}", target.service(), target.node(), target.hostPort(), damped
        ? "flapping (" + String.format(Locale.ROOT, "%.1f", penalty) + " recent changes, weighted): held out of rotation until it is stable"
        : "stable again: no longer held out for flapping");
  }

  @Override
  public void healthChanged(Target target, Health before, Health now, ProbeResult result, java.util.function.Supplier<dev.lbhealth.agent.status.NodeStatus> node) {
    if (before == Health.UNKNOWN) {
      LOG.info("service {} node {} ({}): first probe {}: {}", target.service(), target.node(), target.hostPort(), now, result.detail());
    } else {
      LOG.info("service {} node {} ({}): {} -> {}: {}", target.service(), target.node(), target.hostPort(), before, now, result.detail());
    }
  }

  @Override
  public void applied(String service, ServerSet set, ApplyResult result, Supplier<ServiceStatus> status) {
    if (result.outcome() == ApplyResult.Outcome.HELD) {
      if (held.add(service)) {
        LOG.warn("service {}: apply of [{}] held: {}", service, Names.listed(set.activeNodes()), String.join("; ", result.errors()));
      }
      return;
    }
    if (result.failed()) {
      held.remove(service);
      LOG.warn("service {}: apply of [{}] failed: {}", service, Names.listed(set.activeNodes()), String.join("; ", result.errors()));
      return;
    }
    if (held.remove(service)) {
      LOG.info("service {}: no longer held", service);
    }
    if (result.outcome() == ApplyResult.Outcome.APPLIED) {
      List<String> draining = set.nodes(ServerState.DRAIN);
      LOG.info("service {}: in rotation now [{}]{} ({}) via {} in {} ms", service, Names.listed(set.activeNodes()),
          draining.isEmpty() ? "" : ", draining [" + Names.listed(draining) + "]",
          set.reason(), result.method(), String.format(Locale.ROOT, "%.1f", result.durationNanos() / 1e6));
    }
  }
}
