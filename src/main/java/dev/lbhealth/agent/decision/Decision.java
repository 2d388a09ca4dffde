package dev.lbhealth.agent.decision;

import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import java.util.List;
import java.util.Map;

/** Turns targets and their health into the desired server set. Pure. */
public final class Decision {
  private Decision() {}

  /**
   * @param health the health of each target (missing means UNKNOWN)
   * @param lastApplied the set last applied, or null; used by {@link WhenEmpty#LAST_SET}
   */
  public static ServerSet desired(
      List<Target> targets, Map<Target, Health> health, WhenEmpty whenEmpty, ServerSet lastApplied) {
    List<Target> up = targets.stream().filter(t -> health.get(t) == Health.UP).toList();
    if (!up.isEmpty()) {
      return new ServerSet(targets, up, "healthy");
    }
    return switch (whenEmpty) {
      case ALL_NODES -> new ServerSet(targets, targets, "none healthy: all-nodes (fail open)");
      case NO_NODES -> new ServerSet(targets, List.of(), "none healthy: no-nodes");
      case LAST_SET -> lastApplied == null
          ? new ServerSet(targets, targets, "none healthy: last-set, none applied yet, all nodes")
          : new ServerSet(targets,
              targets.stream().filter(lastApplied.active()::contains).toList(),
              "none healthy: last-set");
    };
  }
}
