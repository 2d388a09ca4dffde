package dev.lbhealth.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.config.AddressRange;
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
  /** The pretend nodes' addresses, allowed as kubernetes.allow-addresses would. */
  private static final List<AddressRange> LOOPBACK = List.of(AddressRange.parse("127.0.0.0/8"));

  @TempDir Path dir;

  private ServiceConfig service(String address) throws Exception {
    return service(dir, address);
  }

  /** The seed's service discovered through Kubernetes (nodes by their {@code address} type), its files in {@code dir}. */
  static ServiceConfig service(Path dir, String address) throws Exception {
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
    KubernetesView view = KubernetesView.of(service("InternalIP"), LOOPBACK, Generic.of(nodes), Generic.of(pods));
    assertEquals(Map.of("copernicus 127.0.0.2:9890", Placement.ABSENT, "galileo 127.0.0.3:9890", Placement.SERVING,
        "kepler 127.0.0.5:9890", Placement.ABSENT, "newton 127.0.0.4:9890", Placement.TERMINATING), placements(view));
    assertEquals(List.of("copernicus", "galileo", "kepler", "newton"),
        view.targets().keySet().stream().map(Target::node).toList(), "in node-name order");

    KubernetesView external = KubernetesView.of(service("ExternalIP"), LOOPBACK, Generic.of(nodes), List.of());
    assertEquals("127.0.1.3:9890", external.targets().keySet().stream().filter(t -> t.node().equals("galileo"))
        .findFirst().orElseThrow().hostPort());
    assertEquals(Map.of("copernicus 127.0.0.2:9890", Placement.UNKNOWN, "galileo 127.0.0.3:9890", Placement.UNKNOWN,
        "kepler 127.0.0.5:9890", Placement.UNKNOWN, "newton 127.0.0.4:9890", Placement.TERMINATING),
        placements(view.handedToProbes()), "handed to the probes, a draining node stays drained");
  }

  @Test
  void anAddressNoBackendCanHaveIsRefusedNamingTheNodeUnlessTheConfigAllowsIt() throws Exception {
    List<Node> nodes = List.of(node("unspecified", "0.0.0.0", "127.0.1.1", true), node("itself", "127.0.0.1", "127.0.1.2", true),
        node("broadcast", "255.255.255.255", "127.0.1.3", true), node("linklocal", "169.254.10.20", "127.0.1.4", true),
        node("v6loop", "::1", "127.0.1.5", true), node("v6any", "::", "127.0.1.6", true),
        node("v6link", "fe80::1", "127.0.1.7", true), node("multicast", "224.0.0.5", "127.0.1.8", true),
        node("mapped", "::ffff:127.0.0.1", "127.0.1.9", true),
        node("galileo", "10.0.0.3", "127.0.1.10", true), node("named", "galileo.cluster.example", "127.0.1.11", true),
        node("v6", "2001:db8::3", "127.0.1.12", true));
    KubernetesView view = KubernetesView.of(service("InternalIP"), List.of(), Generic.of(nodes), List.of());
    assertEquals(List.of("galileo", "named", "v6"), view.targets().keySet().stream().map(Target::node).toList(),
        "only addresses another host can have are targets");
    assertEquals(List.of(
        "node broadcast left out: address 255.255.255.255 is the broadcast address (kubernetes.allow-addresses takes it)",
        "node itself left out: address 127.0.0.1 is loopback (the LB box itself) (kubernetes.allow-addresses takes it)",
        "node linklocal left out: address 169.254.10.20 is link-local (kubernetes.allow-addresses takes it)",
        "node mapped left out: address ::ffff:127.0.0.1 is loopback (the LB box itself) (kubernetes.allow-addresses takes it)",
        "node multicast left out: address 224.0.0.5 is multicast (kubernetes.allow-addresses takes it)",
        "node unspecified left out: address 0.0.0.0 is unspecified (kubernetes.allow-addresses takes it)",
        "node v6any left out: address :: is unspecified (kubernetes.allow-addresses takes it)",
        "node v6link left out: address fe80::1 is link-local (kubernetes.allow-addresses takes it)",
        "node v6loop left out: address ::1 is loopback (the LB box itself) (kubernetes.allow-addresses takes it)"),
        view.refused());

    // A lab whose nodes are on loopback says so; the rest stays refused.
    KubernetesView allowed = KubernetesView.of(service("InternalIP"), List.of(AddressRange.parse("127.0.0.0/8"),
        AddressRange.parse("fe80::/64")), Generic.of(nodes), List.of());
    assertEquals(List.of("galileo", "itself", "mapped", "named", "v6", "v6link"),
        allowed.targets().keySet().stream().map(Target::node).toList());
  }

  @Test
  void anAddressRangeHoldsExactlyItsAddresses() throws Exception {
    AddressRange loopback = AddressRange.parse("127.0.0.0/8");
    assertEquals(true, loopback.contains(java.net.InetAddress.getByName("127.255.0.1")));
    assertEquals(false, loopback.contains(java.net.InetAddress.getByName("128.0.0.1")));
    assertEquals(false, loopback.contains(java.net.InetAddress.getByName("::1")));
    AddressRange one = AddressRange.parse("10.0.0.7");
    assertEquals(true, one.contains(java.net.InetAddress.getByName("10.0.0.7")));
    assertEquals(false, one.contains(java.net.InetAddress.getByName("10.0.0.6")));
    assertEquals(true, AddressRange.parse("fd00::/8").contains(java.net.InetAddress.getByName("fd12:3456::1")));
    assertEquals(true, AddressRange.parse("10.1.2.3/30").contains(java.net.InetAddress.getByName("10.1.2.0")));
    assertEquals(false, AddressRange.parse("10.1.2.3/30").contains(java.net.InetAddress.getByName("10.1.2.4")));
    for (String bad : List.of("127.0.0.0/33", "example.org/8", "10.0.0.1/x", "fd00::/129", "")) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> AddressRange.parse(bad), bad);
    }
  }

  @Test
  void theInformersKeepOfNodesAndPodsOnlyWhatAViewReadsAndTheViewIsTheSame() throws Exception {
    List<Node> nodes = new java.util.ArrayList<>();
    List<Pod> pods = new java.util.ArrayList<>();
    for (String name : List.of("copernicus", "galileo", "newton")) {
      nodes.add(new NodeBuilder(node(name, "127.0.0." + (2 + nodes.size()), "127.0.1.9", !name.equals("newton")))
          .editMetadata().withResourceVersion("4" + nodes.size()).addToLabels("kubernetes.io/hostname", name)
          .addToAnnotations("k3s.io/node-args", "[\"server\"]").endMetadata()
          .editStatus().addNewImage().withNames("docker.io/rancher/k3s:" + "v".repeat(200)).withSizeBytes(1L).endImage()
          .addNewCondition().withType("MemoryPressure").withStatus("False").endCondition().endStatus().build());
    }
    pods.add(new PodBuilder(pod("galileo", 9890, true, false)).editMetadata().withNamespace("default").withResourceVersion("7")
        .addNewManagedField().withManager("kubelet").withOperation("Update").endManagedField().endMetadata()
        .editSpec().editFirstContainer().addNewEnv().withName("SECRET_SIZE").withValue("x".repeat(1000)).endEnv()
        .addNewPort().withContainerPort(8080).endPort().endContainer().addNewVolume().withName("data").endVolume().endSpec()
        .editStatus().withPhase("Running").addNewCondition().withType("ContainersReady").withStatus("True").endCondition()
        .endStatus().build());
    pods.add(pod("copernicus", 9890, true, true));
    pods.add(pod("newton", 9890, true, false));
    KubernetesView whole = KubernetesView.of(service("InternalIP"), LOOPBACK, Generic.of(nodes), Generic.of(pods));
    FactsStore nodeStore = FactsStore.nodes();
    FactsStore podStore = FactsStore.pods();
    Generic.of(nodes).forEach(n -> nodeStore.put(n.getMetadata().getName(), n));
    Generic.of(pods).forEach(p -> podStore.put("default/" + p.getMetadata().getName(), p));
    assertEquals(whole, KubernetesView.of(service("InternalIP"), LOOPBACK, nodeStore.values().toList(), podStore.values().toList()));
    assertEquals(Map.of("copernicus 127.0.0.2:9890", Placement.TERMINATING, "galileo 127.0.0.3:9890", Placement.SERVING,
        "newton 127.0.0.4:9890", Placement.ABSENT), placements(whole));
    var json = new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
    String node = json.asJson(nodeStore.get("copernicus"));
    String pod = json.asJson(podStore.get("default/" + pods.get(0).getMetadata().getName()));
    assertEquals(false, node.contains("k3s") || node.contains("MemoryPressure") || node.contains("hostname"), node);
    assertEquals(false, pod.contains("SECRET_SIZE") || pod.contains("kubelet") || pod.contains("8080") || pod.contains("\"data\""), pod);
    assertEquals("7", podStore.get("default/" + pods.get(0).getMetadata().getName()).getMetadata().getResourceVersion(),
        "the freshness check compares versions");
  }
}
