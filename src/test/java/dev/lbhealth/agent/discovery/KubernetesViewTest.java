package dev.lbhealth.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the API's Nodes and Pods mean for a service's targets. */
class KubernetesViewTest {
  @TempDir Path dir;

  private ServiceConfig service(String address) throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "t");
    return ConfigLoader.parse("""
        kubernetes: { server: "https://127.0.0.1:6443", token-file: %s }
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp }
            kubernetes: { selector: "name=x", address: %s }
            lb: { file: %s/rsync-ssh.cfg }
        """.formatted(token, address, dir), "t").services().get(0);
  }

  private static Node node(String name, String internal, String external, boolean ready) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewStatus()
        .addNewAddress().withType("InternalIP").withAddress(internal).endAddress()
        .addNewAddress().withType("ExternalIP").withAddress(external).endAddress()
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().endStatus().build();
  }

  private static Pod pod(String node, int hostPort, boolean ready, boolean terminating) {
    return new PodBuilder().withNewMetadata().withName("p-" + node + hostPort + ready + terminating)
        .withDeletionTimestamp(terminating ? "2026-11-29T21:00:00Z" : null).endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c")
        .addNewPort().withContainerPort(22).withHostPort(hostPort).endPort().endContainer().endSpec()
        .withNewStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().endStatus()
        .build();
  }

  private static Map<String, Placement> placements(KubernetesView view) {
    Map<String, Placement> out = new LinkedHashMap<>();
    view.targets().forEach((t, p) -> out.put(t.node() + " " + t.hostPort(), p));
    return out;
  }

  @Test
  void placesEachNodeByTheServicesPodsOnIt() throws Exception {
    List<Node> nodes = List.of(node("newton", "127.0.0.4", "127.0.1.4", true), node("copernicus", "127.0.0.2", "127.0.1.2", true),
        node("galileo", "127.0.0.3", "127.0.1.3", true), node("kepler", "127.0.0.5", "127.0.1.5", false));
    List<Pod> pods = List.of(
        pod("galileo", 9890, true, true), pod("galileo", 9890, true, false), // the new pod Ready beside the old one
        pod("newton", 9890, true, true),                                    // terminating
        pod("copernicus", 9999, true, false),                               // another port
        pod("kepler", 9890, true, false));                                  // on a NotReady node
    KubernetesView view = KubernetesView.of(service("InternalIP"), nodes, pods);
    assertEquals(Map.of("copernicus 127.0.0.2:9890", Placement.ABSENT, "galileo 127.0.0.3:9890", Placement.SERVING,
        "kepler 127.0.0.5:9890", Placement.ABSENT, "newton 127.0.0.4:9890", Placement.TERMINATING), placements(view));
    assertEquals(List.of("copernicus", "galileo", "kepler", "newton"),
        view.targets().keySet().stream().map(Target::node).toList(), "in node-name order");

    KubernetesView external = KubernetesView.of(service("ExternalIP"), nodes, List.of());
    assertEquals("127.0.1.3:9890", external.targets().keySet().stream().filter(t -> t.node().equals("galileo"))
        .findFirst().orElseThrow().hostPort());
    assertEquals(List.of(Placement.UNKNOWN), view.unknown().targets().values().stream().distinct().toList());
  }
}
