package dev.lbhealth.agent.decision;

import dev.lbhealth.agent.discovery.Target;
import java.util.List;

/**
 * The servers the LB should send a service's traffic to, out of all its targets.
 *
 * @param all every known target, in configured order (rendered so that a server's identity is
 *     stable whether or not it is in rotation)
 * @param active the targets in rotation, a subset of {@code all} in the same order
 * @param reason why this set: {@code healthy}, or the empty-set policy that produced it
 */
public record ServerSet(List<Target> all, List<Target> active, String reason) {
  public ServerSet {
    all = List.copyOf(all);
    active = List.copyOf(active);
  }

  public boolean isActive(Target t) {
    return active.contains(t);
  }

  public List<String> activeNodes() {
    return active.stream().map(Target::node).toList();
  }
}
