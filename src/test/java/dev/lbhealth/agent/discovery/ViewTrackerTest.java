package dev.lbhealth.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.lbhealth.agent.config.AddressRange;
import dev.lbhealth.agent.config.ServiceConfig;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The view worked out change by change is the view made from scratch: thousands of random
 * changes (nodes joining, leaving, turning NotReady, changing address; pods moving, turning Ready,
 * terminating, going), each checked against {@link KubernetesView#of} over the whole cache.
 */
class ViewTrackerTest {
  private static final List<AddressRange> LOOPBACK = List.of(AddressRange.parse("127.0.0.0/8"));

  @TempDir Path dir;
  private final Map<String, Node> nodes = new TreeMap<>();
  private final Map<String, Pod> pods = new TreeMap<>();
  private int version;

  /** A node as the API gives it: every change a new resource version. */
  private Node node(String name, String address, boolean ready) {
    return new NodeBuilder().withNewMetadata().withName(name).withResourceVersion(String.valueOf(++version)).endMetadata()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress(address).endAddress()
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().endStatus().build();
  }

  private Pod pod(String name, String node, int hostPort, boolean ready, boolean terminating) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withResourceVersion(String.valueOf(++version))
        .withDeletionTimestamp(terminating ? "2026-12-05T12:00:00Z" : null).endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c")
        .addNewPort().withContainerPort(22).withHostPort(hostPort).endPort().endContainer().endSpec()
        .withNewStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().endStatus()
        .build();
  }

  /** The view worked out from what changed, the objects read as the informers' caches give them. */
  private KubernetesView tracked(ViewTracker tracker) {
    return tracker.view(name -> nodes.containsKey(name) ? ClusterFacts.node(Generic.of(nodes.get(name))) : null,
        key -> pods.containsKey(key) ? ClusterFacts.pod(Generic.of(pods.get(key))) : null,
        () -> Generic.of(new ArrayList<>(nodes.values())).stream().map(ClusterFacts::node).toList(),
        () -> Generic.of(new ArrayList<>(pods.values())).stream().map(ClusterFacts::pod).toList());
  }

  private KubernetesView whole(ServiceConfig service) {
    return KubernetesView.of(service, LOOPBACK, Generic.of(new ArrayList<>(nodes.values())), Generic.of(new ArrayList<>(pods.values())));
  }

  @Test
  void aViewWorkedOutChangeByChangeIsTheViewFromScratch() throws Exception {
    ServiceConfig service = KubernetesViewTest.service(dir, "InternalIP");
    ViewTracker tracker = new ViewTracker(service, LOOPBACK);
    Random random = new Random(20261205);
    for (int i = 0; i < 12; i++) {
      nodes.put("node-" + i, node("node-" + i, "127.0.0." + (i + 2), true));
    }
    KubernetesView before = tracked(tracker);
    assertEquals(whole(service), before, "the first view, from the lists");
    int changedViews = 0;
    for (int step = 0; step < 3_000; step++) {
      int changes = 1 + random.nextInt(4);
      for (int c = 0; c < changes; c++) {
        String nodeName = "node-" + random.nextInt(14); // node-12 and node-13 come and go
        String podName = "pod-" + random.nextInt(16);
        switch (random.nextInt(9)) {
          case 0 -> nodes.remove(nodeName);
          case 1 -> nodes.put(nodeName, node(nodeName, "127.0.0." + (2 + random.nextInt(20)), random.nextInt(4) > 0));
          case 2 -> nodes.put(nodeName, node(nodeName, random.nextInt(6) == 0 ? "0.0.0.0" : "127.0.0.9", true));
          case 3 -> pods.remove("default/" + podName);
          default -> pods.put("default/" + podName, pod(podName, random.nextInt(10) == 0 ? null : nodeName,
              random.nextInt(8) == 0 ? 9999 : 9890, random.nextBoolean(), random.nextInt(5) == 0));
        }
        tracker.nodeChanged(nodeName); // the informer tells every change, a delete too
        tracker.podChanged("default/" + podName);
      }
      KubernetesView after = tracked(tracker);
      changedViews += after != before ? 1 : 0;
      assertEquals(whole(service), after, "after step " + step);
      before = after;
    }
    // Most steps change something the view shows; the check above is not of one unchanging view.
    assertEquals(true, changedViews > 1_000, changedViews + " of 3,000 steps changed the view");
  }

  @Test
  void aChangeTheViewDoesNotShowKeepsTheSameView() throws Exception {
    ServiceConfig service = KubernetesViewTest.service(dir, "InternalIP");
    ViewTracker tracker = new ViewTracker(service, LOOPBACK);
    nodes.put("copernicus", node("copernicus", "127.0.0.2", true));
    pods.put("default/ssh", pod("ssh", "copernicus", 9890, true, false));
    KubernetesView first = tracked(tracker);
    pods.put("default/other", pod("other", "copernicus", 9999, true, false)); // another port
    tracker.podChanged("default/other");
    nodes.put("copernicus", node("copernicus", "127.0.0.2", true)); // a new version, nothing else new
    tracker.nodeChanged("copernicus");
    assertSame(first, tracked(tracker));
    pods.put("default/ssh", pod("ssh", "copernicus", 9890, false, false));
    tracker.podChanged("default/ssh");
    KubernetesView notReady = tracked(tracker);
    assertNotSame(first, notReady);
    assertEquals(Placement.ABSENT, notReady.targets().values().iterator().next());
    tracker.everything(); // new informers: made from the lists again, and the same view
    assertSame(notReady, tracked(tracker));
  }
}
