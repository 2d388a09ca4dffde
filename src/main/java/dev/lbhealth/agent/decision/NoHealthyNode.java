package dev.lbhealth.agent.decision;

import dev.lbhealth.agent.discovery.Placement;
import java.util.ArrayList;
import java.util.List;

/**
 * What an operator is told when a service has no healthy node: what the LB does about it (falls
 * open to nodes that are not known to serve, keeps the last set, or refuses clients) and, where
 * the agent can tell, why no node is healthy: every probe failing the same way points at the
 * prober or the probe's settings rather than at three pods at once; a pod Kubernetes calls Ready
 * whose node's probe fails means the probe and Kubernetes disagree. Pure.
 */
public final class NoHealthyNode {
  private NoHealthyNode() {}

  /**
   * One target as the explanation sees it.
   *
   * @param lastProbe the last probe's detail when it failed, or null (no probe yet, or it passed)
   */
  public record Node(String name, Placement placement, String lastProbe) {}

  /** Whether the set puts servers in rotation although none is healthy: the LB serves blind. */
  public static boolean failsOpen(ServerSet applied) {
    return applied != null && !applied.healthy() && !applied.activeNodes().isEmpty();
  }

  /**
   * The warning for a set that is not made of healthy nodes, or null for a healthy set (or none
   * applied yet).
   */
  public static String warning(ServerSet applied, List<Node> nodes) {
    if (applied == null || applied.healthy() || nodes.isEmpty()) {
      return null;
    }
    String what = failsOpen(applied)
        ? "fail-open: no node is healthy, yet " + applied.activeNodes() + " in rotation (" + applied.reason()
            + "); clients reach them only if the LB's own retries find a live one"
        : "no node is healthy: nothing in rotation, clients are refused (" + applied.reason() + ")";
    String why = why(nodes);
    return why == null ? what : what + "; " + why;
  }

  /** Why no node is healthy, when the agent can tell; else null. */
  static String why(List<Node> nodes) {
    List<String> disagree = new ArrayList<>();
    String common = null;
    boolean allSame = true;
    int failed = 0;
    for (Node n : nodes) {
      if (n.placement() == Placement.TERMINATING || n.placement() == Placement.ABSENT) {
        continue; // Kubernetes says no pod should answer there: not evidence against the probe
      }
      if (n.lastProbe() == null) {
        allSame = false;
        continue;
      }
      failed++;
      if (n.placement() == Placement.SERVING) {
        disagree.add(n.name());
      }
      if (common == null) {
        common = n.lastProbe();
      } else if (!common.equals(n.lastProbe())) {
        allSame = false;
      }
    }
    List<String> reasons = new ArrayList<>();
    if (!disagree.isEmpty()) {
      reasons.add("probes disagree with Kubernetes: the pod is Ready on " + disagree + " but its probe fails ("
          + common(nodes, disagree) + ")");
    }
    if (allSame && failed > 1) {
      reasons.add("every probe fails the same way (" + common + "): check the probe's settings and the agent's own network"
          + (common.startsWith("timeout") ? " (is the timeout too short for these nodes?)" : ""));
    }
    return reasons.isEmpty() ? null : String.join("; ", reasons);
  }

  private static String common(List<Node> nodes, List<String> names) {
    return nodes.stream().filter(n -> names.contains(n.name())).map(Node::lastProbe).distinct()
        .reduce((a, b) -> a + " / " + b).orElse("");
  }
}
