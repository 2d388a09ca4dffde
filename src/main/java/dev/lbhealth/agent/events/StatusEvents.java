package dev.lbhealth.agent.events;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.status.ConfigReload;
import dev.lbhealth.agent.status.NodeStatus;
import dev.lbhealth.agent.status.ServiceStatus;
import dev.lbhealth.agent.status.StatusBook;
import java.util.function.Supplier;

/**
 * The status book and systemd as a listener: every event is a change that /status shows; a
 * health change may change STATUS=, and an apply what /healthz says and whether the agent is ready.
 */
public final class StatusEvents implements EventListener {
  private final StatusBook book;
  private final Runnable healthChanged;
  private final Runnable applied;

  /**
   * @param healthChanged after a target's health changed (STATUS= soon)
   * @param applied after every apply (/healthz, READY=1)
   */
  public StatusEvents(StatusBook book, Runnable healthChanged, Runnable applied) {
    this.book = book;
    this.healthChanged = healthChanged;
    this.applied = applied;
  }

  @Override
  public void healthChanged(Target target, Health before, Health now, ProbeResult result, Supplier<NodeStatus> node) {
    book.markChanged();
    healthChanged.run();
  }

  @Override
  public void applyStarted(String service, ServerSet set) {
    book.markChanged();
  }

  @Override
  public void applied(String service, ServerSet set, ApplyResult result, Supplier<ServiceStatus> status) {
    book.markChanged();
    applied.run();
  }

  @Override
  public void fileWritten(String service, FileWrite write, ServiceStatus.FileWritten shown) {
    book.markChanged();
  }

  @Override
  public void drift(String service, ServiceStatus.Drift drift) {
    book.markChanged();
  }

  @Override
  public void serverRemoved(String service, String server, boolean atDrainTimeout) {
    book.markChanged();
  }

  @Override
  public void configReloaded(ConfigReload reload) {
    book.configReloaded(reload);
  }
}
