package dev.lbhealth.agent.decision;

import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
import dev.lbhealth.agent.decision.ServerSet.Server;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/** Turns targets, their health and what discovery says of them into the desired server set. Pure. */
public final class Decision {
  private Decision() {}

  /**
   * @param health each target's health (UNKNOWN until its first answer)
   * @param draining whether discovery says the target is leaving (its pod terminating): it drains
   *     whatever its health, and never counts as a healthy node
   * @param lastApplied the set last applied, or null; used by {@link WhenEmpty#LAST_SET}
   */
  public static ServerSet desired(List<Target> targets, Function<Target, Health> health, Predicate<Target> draining,
      WhenEmpty whenEmpty, ServerSet lastApplied) {
    boolean anyUp = false;
    for (Target t : targets) {
      if (!draining.test(t) && health.apply(t) == Health.UP) {
        anyUp = true;
        break;
      }
    }
    String reason = anyUp ? "healthy" : switch (whenEmpty) {
      case ALL_NODES -> "none healthy: all-nodes (fail open)";
      case NO_NODES -> "none healthy: no-nodes";
      case LAST_SET -> lastApplied == null ? "none healthy: last-set, none applied yet, all nodes" : "none healthy: last-set";
    };
    List<Server> servers = new ArrayList<>(targets.size());
    for (Target t : targets) {
      ServerState state;
      if (draining.test(t)) {
        state = ServerState.DRAIN;
      } else if (anyUp) {
        state = health.apply(t) == Health.UP ? ServerState.READY : ServerState.MAINT;
      } else {
        state = switch (whenEmpty) {
          case ALL_NODES -> ServerState.READY;
          case NO_NODES -> ServerState.MAINT;
          case LAST_SET -> lastApplied == null || lastApplied.isActive(t) ? ServerState.READY : ServerState.MAINT;
        };
      }
      servers.add(new Server(t, state));
    }
    return new ServerSet(servers, reason);
  }

  /** {@link #desired} for targets that discovery does not drain. */
  public static ServerSet desired(List<Target> targets, Function<Target, Health> health, WhenEmpty whenEmpty,
      ServerSet lastApplied) {
    return desired(targets, health, t -> false, whenEmpty, lastApplied);
  }
}
