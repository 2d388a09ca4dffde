package dev.lbhealth.agent.demo;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

/**
 * A stand-in Kubernetes API for tests: fabric8's {@code KubernetesMockServer} in CRUD mode on
 * loopback (watches work, a DELETE of an object holding a finalizer sets its deletionTimestamp and
 * keeps it), with helpers that act as the kubelet and the scheduler would: nodes with addresses,
 * pods scheduled on them with a hostPort, made Ready, terminated.
 */
public final class FakeCluster implements AutoCloseable {
  public static final String NAMESPACE = "default";
  public static final String LABEL = "hc-rsyncer-app";
  /** Holds a terminating pod, as a grace period does, until the test lets it go. */
  public static final String FINALIZER = "lb-health-agent.test/grace";

  /**
   * CRUD, plus the one answer CRUD mode never gives: {@code 410 Gone} to a watch whose resource
   * version is too old, after which an informer must list again.
   */
  private static final class Dispatcher extends KubernetesCrudDispatcher {
    volatile boolean goneOnNextPodWatch;
    /** Pod watches from a resource version at or below this are answered HTTP 410 (compacted). */
    volatile long goneStatusUpTo = -1;
    /** Resources (pods, nodes) the agent's account may not read: 403 to a list or watch. */
    final java.util.Set<String> forbidden = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final java.util.concurrent.atomic.AtomicInteger podLists = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger nodeLists = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger nodeWatches = new java.util.concurrent.atomic.AtomicInteger();
    /** Lists of the nodes are answered this much later (a busy API), or at once. */
    volatile long nodeListDelayMillis;

    @Override
    public io.fabric8.mockwebserver.http.MockResponse dispatch(io.fabric8.mockwebserver.http.RecordedRequest request) {
      String path = request.getPath();
      for (String resource : forbidden) {
        if (request.getMethod().equals("GET") && (path.contains("/" + resource + "?") || path.endsWith("/" + resource))) {
          String verb = path.contains("watch=true") ? "watch" : "list";
          return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(403).setBody("{\"kind\":\"Status\","
              + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"" + resource + " is forbidden: User "
              + "\\\"system:serviceaccount:kube-system:lb-health-agent\\\" cannot " + verb + " resource \\\"" + resource
              + "\\\" in API group \\\"\\\"\",\"reason\":\"Forbidden\",\"code\":403}");
        }
      }
      java.util.regex.Matcher version = java.util.regex.Pattern.compile("resourceVersion=(\\d+)").matcher(path);
      if (request.getMethod().equals("GET") && path.contains("/pods?") && path.contains("watch=true") && version.find()
          && Long.parseLong(version.group(1)) <= goneStatusUpTo) {
        // As an API server answers a watch from a compacted version: the request itself fails.
        return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(410).setBody("{\"kind\":\"Status\","
            + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"too old resource version: "
            + version.group(1) + "\",\"reason\":\"Expired\",\"code\":410}");
      }
      if (request.getMethod().equals("GET") && (path.contains("/nodes?") || path.endsWith("/nodes"))) {
        (path.contains("watch=true") ? nodeWatches : nodeLists).incrementAndGet();
        if (!path.contains("watch=true") && nodeListDelayMillis > 0) {
          return super.dispatch(request).setBodyDelay(nodeListDelayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      }
      if (request.getMethod().equals("GET") && path.contains("/pods?")) {
        if (!path.contains("watch=true")) {
          podLists.incrementAndGet();
        } else if (goneOnNextPodWatch) {
          goneOnNextPodWatch = false;
          // As the API server says it: the watch opens, then an ERROR event holding a 410 Status.
          return new io.fabric8.mockwebserver.http.MockResponse().withWebSocketUpgrade(new io.fabric8.mockwebserver.http.WebSocketListener() {
            @Override
            public void onOpen(io.fabric8.mockwebserver.http.WebSocket socket, io.fabric8.mockwebserver.http.Response response) {
              socket.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                  + "\"message\":\"too old resource version: 5 (9)\",\"reason\":\"Expired\",\"code\":410}}");
              socket.close(1000, "gone");
            }
          });
        }
      }
      return super.dispatch(request);
    }
  }

  /** The mock server logs every request at INFO through java.util.logging: kept to warnings (a strong reference, or JUL forgets the level). */
  private static final java.util.logging.Logger MOCK_LOG = quiet();

  private static java.util.logging.Logger quiet() {
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    log.setLevel(java.util.logging.Level.WARNING);
    return log;
  }

  private Dispatcher dispatcher;
  private KubernetesMockServer server;
  private NamespacedKubernetesClient client;
  private int port;

  /** Starts on a free loopback port. */
  public FakeCluster() throws IOException {
    this(0);
  }

  private FakeCluster(int port) throws IOException {
    dispatcher = new Dispatcher();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getByName("127.0.0.1"), port);
    this.port = server.getPort();
    client = server.createClient();
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** The top-level kubernetes section of an agent config for this API (writes a token file). */
  public String agentYaml(Path dir) throws IOException {
    return agentYaml(dir, url(), "");
  }

  /**
   * The top-level kubernetes section for the API at {@code url} (this one, or a proxy in front of
   * it), with {@code more} keys of the section, each line indented by two spaces.
   */
  public String agentYaml(Path dir, String url, String more) throws IOException {
    Path token = Files.writeString(dir.resolve("token"), "test-token-for-the-fake-api\n");
    return "kubernetes:\n  server: " + url + "\n  token-file: " + token + "\n" + more
        + "  allow-addresses: [127.0.0.0/8]   # the pretend nodes are on loopback\n";
  }

  public NamespacedKubernetesClient client() {
    return client;
  }

  public void node(String name, String internalIp) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewStatus().addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
        .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build()).create();
  }

  /** The node leaves the cluster. */
  public void deleteNode(String name) {
    client.nodes().withName(name).delete();
  }

  /** A pod of the service scheduled on {@code node}, not Ready yet, held by the test's finalizer. */
  public void pod(String name, String node, int hostPort) {
    client.pods().inNamespace(NAMESPACE).resource(podOn(name, node, hostPort)
        .withNewStatus().withPhase("Pending").endStatus().build()).create();
  }

  /** A pod that is Ready already, in one object (as an API back from an outage lists it). */
  public void readyPod(String name, String node, int hostPort) {
    client.pods().inNamespace(NAMESPACE).resource(podOn(name, node, hostPort)
        .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True").endCondition()
        .endStatus().build()).create();
  }

  private static PodBuilder podOn(String name, String node, int hostPort) {
    return new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(NAMESPACE).addToLabels("name", LABEL).addToFinalizers(FINALIZER).endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("sshd").withImage("rsyncer")
        .addNewPort().withContainerPort(22).withHostPort(hostPort).withProtocol("TCP").endPort().endContainer().endSpec();
  }

  public void ready(String pod, boolean ready) {
    Pod current = client.pods().inNamespace(NAMESPACE).withName(pod).get();
    client.pods().inNamespace(NAMESPACE).resource(new PodBuilder(current).editOrNewStatus().withPhase("Running")
        .withConditions().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus().build()).updateStatus();
  }

  /** Marks the pod terminating (its deletionTimestamp set); it stays until {@link #gone}. */
  public void terminate(String pod) {
    client.pods().inNamespace(NAMESPACE).withName(pod).delete();
  }

  /** The terminating pod's grace is over: it disappears. */
  public void gone(String pod) {
    client.pods().inNamespace(NAMESPACE).withName(pod)
        .edit(p -> new PodBuilder(p).editMetadata().withFinalizers(List.of()).endMetadata().build());
  }

  /** The next watch of Pods is answered {@code 410 Gone} (its resource version too old). */
  public void goneOnNextPodWatch() {
    dispatcher.goneOnNextPodWatch = true;
  }

  /**
   * The API forgets every version up to now, as etcd's compaction does: a pod watch resumed from
   * one is answered HTTP 410 Gone (the request's status, not an event); only a new list helps.
   */
  public void compact() {
    dispatcher.goneStatusUpTo = Long.parseLong(client.pods().inNamespace(NAMESPACE).list().getMetadata().getResourceVersion());
  }

  /** Lists and watches of {@code resource} ("pods", "nodes") are answered 403 Forbidden, or again allowed. */
  public void forbid(String resource, boolean forbidden) {
    if (forbidden) {
      dispatcher.forbidden.add(resource);
    } else {
      dispatcher.forbidden.remove(resource);
    }
  }

  /** How many times Pods were listed (not watched) so far. */
  public int podLists() {
    return dispatcher.podLists.get();
  }

  /** Lists of the nodes are answered {@code millis} late from now on (0: at once). */
  public void slowNodeLists(long millis) {
    dispatcher.nodeListDelayMillis = millis;
  }

  /** How many times Nodes were listed, and watches of them opened, so far. */
  public int nodeLists() {
    return dispatcher.nodeLists.get();
  }

  public int nodeWatches() {
    return dispatcher.nodeWatches.get();
  }

  public Node getNode(String name) {
    return client.nodes().withName(name).get();
  }

  /** Stops answering, as an API server that goes away. */
  public void stop() {
    client.close();
    server.destroy();
  }

  /**
   * Answers again on the same port, with the objects {@code restore} creates. A real API server's
   * resource versions go on counting across an outage (they come from etcd); the new mock's
   * counter is moved past the old one's first, so that a watch resumed from an old version sees
   * what changed meanwhile.
   */
  public void restart(java.util.function.Consumer<FakeCluster> restore) throws IOException {
    Dispatcher before = dispatcher;
    dispatcher = new Dispatcher();
    dispatcher.goneOnNextPodWatch = before.goneOnNextPodWatch;
    dispatcher.podLists.set(before.podLists.get());
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getByName("127.0.0.1"), port);
    client = server.createClient();
    for (int i = 0; i < 100; i++) {
      client.configMaps().inNamespace(NAMESPACE).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
          .withNewMetadata().withName("etcd-counted-" + i).endMetadata().build()).create();
    }
    restore.accept(this);
  }

  @Override
  public void close() {
    stop();
  }
}
