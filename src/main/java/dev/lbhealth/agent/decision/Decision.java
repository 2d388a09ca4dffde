package dev.lbhealth.agent.decision;

import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
import dev.lbhealth.agent.decision.ServerSet.Server;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Turns targets, their health and what discovery says of them into the desired server set. Pure. */
public final class Decision {
  private Decision() {}

  /**
   * A target is in rotation when its probe passes and discovery lets it serve ({@link
   * Placement#SERVING}, or {@link Placement#UNKNOWN}: the probe alone decides); a terminating one
   * drains whatever its health. When no target is in rotation, {@code whenEmpty} decides for the
   * targets that are not terminating.
   *
   * @param health each target's health (UNKNOWN until its first answer)
   * @param placement what discovery says of each target
   * @param lastApplied the set last applied, or null; used by {@link WhenEmpty#LAST_SET}
   */
  public static ServerSet desired(List<Target> targets, Function<Target, Health> health,
      Function<Target, Placement> placement, WhenEmpty whenEmpty, ServerSet lastApplied) {
    boolean anyUp = false;
    for (Target t : targets) {
      if (eligible(t, health, placement)) {
        anyUp = true;
        break;
      }
    }
    String reason = anyUp ? ServerSet.HEALTHY : switch (whenEmpty) {
      case ALL_NODES -> "none healthy: all-nodes (fail open)";
      case NO_NODES -> "none healthy: no-nodes";
      case LAST_SET -> lastApplied == null ? "none healthy: last-set, none applied yet, all nodes" : "none healthy: last-set";
    };
    List<Server> servers = new ArrayList<>(targets.size());
    for (Target t : targets) {
      ServerState state;
      if (placement.apply(t) == Placement.TERMINATING) {
        state = ServerState.DRAIN;
      } else if (anyUp) {
        state = eligible(t, health, placement) ? ServerState.READY : ServerState.MAINT;
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

  private static boolean eligible(Target t, Function<Target, Health> health, Function<Target, Placement> placement) {
    Placement p = placement.apply(t);
    return (p == Placement.SERVING || p == Placement.UNKNOWN) && health.apply(t) == Health.UP;
  }

  /** {@link #desired} for targets discovery says nothing of (static nodes): the probe decides. */
  public static ServerSet desired(List<Target> targets, Function<Target, Health> health, WhenEmpty whenEmpty,
      ServerSet lastApplied) {
    return desired(targets, health, t -> Placement.UNKNOWN, whenEmpty, lastApplied);
  }
}
