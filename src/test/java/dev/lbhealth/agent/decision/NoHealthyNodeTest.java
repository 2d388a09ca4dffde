package dev.lbhealth.agent.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
import dev.lbhealth.agent.decision.NoHealthyNode.Node;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import java.util.List;
import org.junit.jupiter.api.Test;

class NoHealthyNodeTest {
  private final List<Target> all = List.of(new Target("s", "copernicus", "127.0.0.2", 9890),
      new Target("s", "galileo", "127.0.0.3", 9890), new Target("s", "newton", "127.0.0.4", 9890));

  private ServerSet set(WhenEmpty policy, Health health) {
    return Decision.desired(all, t -> health, policy, null);
  }

  @Test
  void aHealthySetHasNoWarning() {
    assertNull(NoHealthyNode.warning(set(WhenEmpty.ALL_NODES, Health.UP), List.of(new Node("copernicus", Placement.UNKNOWN, null))));
    assertFalse(NoHealthyNode.failsOpen(set(WhenEmpty.ALL_NODES, Health.UP)));
  }

  @Test
  void allNodesWithEveryProbeTimingOutSaysFailOpenAndThatTheProbesFailAlike() {
    ServerSet open = set(WhenEmpty.ALL_NODES, Health.DOWN);
    assertTrue(NoHealthyNode.failsOpen(open));
    String w = NoHealthyNode.warning(open, List.of(new Node("copernicus", Placement.UNKNOWN, "timeout after 60ms"),
        new Node("galileo", Placement.UNKNOWN, "timeout after 60ms"), new Node("newton", Placement.UNKNOWN, "timeout after 60ms")));
    assertTrue(w.startsWith("fail-open: no node is healthy, yet [copernicus, galileo, newton] in rotation"), w);
    assertTrue(w.contains("every probe fails the same way (timeout after 60ms)"), w);
    assertTrue(w.contains("timeout too short"), w);
  }

  @Test
  void probesFailingDifferentlyGiveNoCommonCause() {
    String w = NoHealthyNode.warning(set(WhenEmpty.ALL_NODES, Health.DOWN), List.of(
        new Node("copernicus", Placement.UNKNOWN, "timeout after 60ms"), new Node("galileo", Placement.UNKNOWN, "connection refused")));
    assertFalse(w.contains("same way"), w);
    assertTrue(w.startsWith("fail-open"), w);
  }

  @Test
  void aReadyPodWhoseProbeFailsIsNamedAsADisagreementWithKubernetes() {
    String w = NoHealthyNode.warning(set(WhenEmpty.ALL_NODES, Health.DOWN), List.of(
        new Node("copernicus", Placement.SERVING, "closed without a banner"),
        new Node("galileo", Placement.ABSENT, "connection refused"),
        new Node("newton", Placement.ABSENT, "connection refused")));
    assertTrue(w.contains("probes disagree with Kubernetes: the pod is Ready on [copernicus] but its probe fails (closed without a banner)"), w);
    assertFalse(w.contains("same way"), "nodes without a pod are no evidence against the probe: " + w);
  }

  @Test
  void noNodesIsNotFailOpenButStillSaysNothingIsInRotation() {
    ServerSet closed = set(WhenEmpty.NO_NODES, Health.DOWN);
    assertFalse(NoHealthyNode.failsOpen(closed));
    String w = NoHealthyNode.warning(closed, List.of(new Node("copernicus", Placement.UNKNOWN, "connection refused")));
    assertEquals("no node is healthy: nothing in rotation, clients are refused (none healthy: no-nodes)", w);
  }
}
