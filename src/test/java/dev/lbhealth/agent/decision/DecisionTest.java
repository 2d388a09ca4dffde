package dev.lbhealth.agent.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DecisionTest {
  private final Target copernicus = new Target("s", "copernicus", "127.0.0.2", 9890);
  private final Target galileo = new Target("s", "galileo", "127.0.0.3", 9890);
  private final Target newton = new Target("s", "newton", "127.0.0.4", 9890);
  private final List<Target> all = List.of(copernicus, galileo, newton);

  private static ServerSet desired(List<Target> targets, Map<Target, Health> health, WhenEmpty whenEmpty, ServerSet last) {
    return Decision.desired(targets, t -> health.getOrDefault(t, Health.UNKNOWN), whenEmpty, last);
  }

  @Test
  void onlyHealthyNodesAreInRotationInConfiguredOrder() {
    ServerSet set = desired(all, Map.of(newton, Health.UP, copernicus, Health.UP, galileo, Health.DOWN),
        WhenEmpty.NO_NODES, null);
    assertEquals(List.of("copernicus", "newton"), set.activeNodes());
    assertEquals(List.of("galileo"), set.nodes(ServerState.MAINT));
    assertEquals(all, set.servers().stream().map(ServerSet.Server::target).toList());
  }

  @Test
  void unknownIsNotHealthy() {
    ServerSet set = desired(all, Map.of(galileo, Health.UP), WhenEmpty.NO_NODES, null);
    assertEquals(List.of("galileo"), set.activeNodes());
  }

  @Test
  void emptySetFollowsThePolicy() {
    Map<Target, Health> down = Map.of(copernicus, Health.DOWN, galileo, Health.DOWN, newton, Health.DOWN);
    assertEquals(List.of("copernicus", "galileo", "newton"), desired(all, down, WhenEmpty.ALL_NODES, null).activeNodes());
    assertEquals(List.of(), desired(all, down, WhenEmpty.NO_NODES, null).activeNodes());
    ServerSet last = ServerSet.of(all, List.of(galileo), "healthy");
    assertEquals(List.of("galileo"), desired(all, down, WhenEmpty.LAST_SET, last).activeNodes());
    assertEquals(3, desired(all, down, WhenEmpty.LAST_SET, null).activeNodes().size(), "nothing applied yet: fail open");
  }

  @Test
  void aTerminatingTargetDrainsWhateverItsHealthAndIsNeverTheHealthyOne() {
    Map<Target, Health> health = Map.of(copernicus, Health.UP, galileo, Health.UP, newton, Health.DOWN);
    Map<Target, Placement> placement = Map.of(copernicus, Placement.TERMINATING, galileo, Placement.SERVING,
        newton, Placement.SERVING);
    ServerSet set = Decision.desired(all, health::get, placement::get, WhenEmpty.NO_NODES, null);
    assertEquals(List.of("galileo"), set.activeNodes());
    assertEquals(List.of("copernicus"), set.nodes(ServerState.DRAIN));
    assertEquals(ServerState.MAINT, set.state(newton));

    // The only healthy node is leaving: the empty-set policy decides for the others, and the
    // leaving node keeps draining rather than being failed open into rotation again.
    ServerSet alone = Decision.desired(all, Map.of(copernicus, Health.UP, galileo, Health.DOWN, newton, Health.DOWN)::get,
        placement::get, WhenEmpty.ALL_NODES, null);
    assertEquals(List.of("galileo", "newton"), alone.activeNodes());
    assertEquals(ServerState.DRAIN, alone.state(copernicus));
    assertEquals("none healthy: all-nodes (fail open)", alone.reason());
  }

  @Test
  void aNodeWhosePortAnswersWithoutAReadyPodStaysOutUntilKubernetesSaysReady() {
    Map<Target, Health> allUp = Map.of(copernicus, Health.UP, galileo, Health.UP, newton, Health.UP);
    ServerSet starting = Decision.desired(all, allUp::get,
        Map.of(copernicus, Placement.SERVING, galileo, Placement.ABSENT, newton, Placement.UNKNOWN)::get,
        WhenEmpty.NO_NODES, null);
    assertEquals(List.of("copernicus", "newton"), starting.activeNodes(), "absent: out; unknown (API away): the probe decides");
    ServerSet down = Decision.desired(all, Map.of(copernicus, Health.DOWN, galileo, Health.UP, newton, Health.DOWN)::get,
        Map.of(copernicus, Placement.SERVING, galileo, Placement.ABSENT, newton, Placement.ABSENT)::get,
        WhenEmpty.NO_NODES, null);
    assertEquals(List.of(), down.activeNodes(), "a Ready pod whose port fails is out too");
  }

  @Test
  void aTargetOutsideTheSetHasNoState() {
    ServerSet set = ServerSet.of(List.of(copernicus), List.of(copernicus), "healthy");
    assertEquals(null, set.state(newton));
    assertEquals(ServerState.READY, set.state(new Target("s", "copernicus", "127.0.0.2", 9890)));
  }
}
