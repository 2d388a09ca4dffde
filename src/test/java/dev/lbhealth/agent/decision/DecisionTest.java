package dev.lbhealth.agent.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
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

  @Test
  void onlyHealthyNodesAreInRotationInConfiguredOrder() {
    ServerSet set = Decision.desired(all, Map.of(newton, Health.UP, copernicus, Health.UP, galileo, Health.DOWN),
        WhenEmpty.NO_NODES, null);
    assertEquals(List.of("copernicus", "newton"), set.activeNodes());
    assertEquals(all, set.all());
  }

  @Test
  void unknownIsNotHealthy() {
    ServerSet set = Decision.desired(all, Map.of(galileo, Health.UP), WhenEmpty.NO_NODES, null);
    assertEquals(List.of("galileo"), set.activeNodes());
  }

  @Test
  void emptySetFollowsThePolicy() {
    Map<Target, Health> down = Map.of(copernicus, Health.DOWN, galileo, Health.DOWN, newton, Health.DOWN);
    assertEquals(List.of("copernicus", "galileo", "newton"), Decision.desired(all, down, WhenEmpty.ALL_NODES, null).activeNodes());
    assertEquals(List.of(), Decision.desired(all, down, WhenEmpty.NO_NODES, null).activeNodes());
    ServerSet last = new ServerSet(all, List.of(galileo), "healthy");
    assertEquals(List.of("galileo"), Decision.desired(all, down, WhenEmpty.LAST_SET, last).activeNodes());
    assertEquals(3, Decision.desired(all, down, WhenEmpty.LAST_SET, null).active().size(), "nothing applied yet: fail open");
  }
}
