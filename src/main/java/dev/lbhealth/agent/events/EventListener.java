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

/**
 * What happens in the agent, told as it happens: what /events, the metrics, the status snapshot,
 * systemd's STATUS= and the log are made from. OkHttp's {@code EventListener} is the model: one
 * method per kind of event, each a no-op unless overridden, all called on the agent's context and
 * expected to return at once. {@link #of} tells several listeners in turn.
 *
 * <p>A probe's result is the one event of the hot path (10,000 targets probed every few seconds):
 * it goes to the {@link TargetListener} made once when the target joined its pool.
 */
public interface EventListener {
  EventListener NONE = new EventListener() {};

  /** A target joined its service's pool; returns what is told of its probes while it stays. */
  default TargetListener targetAdded(Target target) {
    return TargetListener.NONE;
  }

  /** A target left its service's pool: it is probed no more. */
  default void targetRemoved(Target target) {}

  /** The targets of a service changed after its start (discovery or a config change added or removed some). */
  default void targetsChanged(String service, int size, List<String> added, List<String> removed) {}

  /** What Kubernetes says of a target's pod changed. */
  default void placementChanged(Target target, Placement before, Placement after) {}

  /** A probe timed out while the agent itself was held up: not counted against the node. */
  default void probeInconclusive(Target target) {}

  /** Flap damping started or stopped holding a target out of rotation; {@code penalty} is its weighted count of recent changes. */
  default void dampingChanged(Target target, boolean held, double penalty) {}

  /**
   * A target's health changed, by {@code result}.
   *
   * @param node the target as /status shows it now, made only if asked for (a health change is on the hot path)
   */
  default void healthChanged(Target target, Health before, Health now, ProbeResult result, Supplier<NodeStatus> node) {}

  /** A set is on its way to the LB: /status, read once the LB shows it, is to show it too. */
  default void applyStarted(String service, ServerSet set) {}

  /**
   * An apply ended (applied, unchanged, held or failed).
   *
   * @param status the service as /status shows it, made only if asked for (thousands of nodes)
   */
  default void applied(String service, ServerSet set, ApplyResult result, Supplier<ServiceStatus> status) {}

  /** The LB file was brought in line after a live switch. */
  default void fileWritten(String service, FileWrite write, ServiceStatus.FileWritten shown) {}

  /** HAProxy's live servers differed from what the agent had applied. */
  default void drift(String service, ServiceStatus.Drift drift) {}

  /** A server that left the set was deleted from the running LB, after draining or at the drain timeout. */
  default void serverRemoved(String service, String server, boolean atDrainTimeout) {}

  /** A re-read of the config (SIGHUP) ended. */
  default void configReloaded(ConfigReload reload) {}

  /** Tells each of {@code listeners}, in order, of every event. */
  static EventListener of(EventListener... listeners) {
    return new Fanout(List.of(listeners));
  }
}
