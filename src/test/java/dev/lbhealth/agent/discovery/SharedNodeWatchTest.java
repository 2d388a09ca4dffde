package dev.lbhealth.agent.discovery;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.FakeCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two services' Kubernetes sources sharing the agent's one Node informer ({@link NodeWatch}),
 * behind a fault-injecting proxy: one list and one watch of the nodes for both, and a fresh start
 * of the nodes asked for by one service never shows the other an empty node cache (which would
 * take its servers out). rsync-ssh (hostPort 9890) runs on all three nodes, git-ssh (9891) on
 * galileo and newton (copernicus is a node of it without its pod); every pod is Ready.
 */
class SharedNodeWatchTest {
  private static final Map<String, Placement> RSYNC = Map.of(
      "copernicus", Placement.SERVING, "galileo", Placement.SERVING, "newton", Placement.SERVING);
  private static final Map<String, Placement> GIT = Map.of(
      "copernicus", Placement.ABSENT, "galileo", Placement.SERVING, "newton", Placement.SERVING);

  @TempDir Path dir;
  private FakeCluster cluster;
  private FaultProxy proxy;
  private Vertx vertx;
  private Context context;
  private KubernetesClient client;
  private NodeWatch nodes;
  private final List<KubernetesBackendSource> sources = new ArrayList<>();
  private final Map<String, List<Map<String, Placement>>> told = new LinkedHashMap<>();

  @BeforeEach
  void cluster() throws Exception {
    cluster = new FakeCluster();
    cluster.node("copernicus", "127.0.0.2");
    cluster.node("galileo", "127.0.0.3");
    cluster.node("newton", "127.0.0.4");
    cluster.readyPod("rsyncer-0", "copernicus", 9890);
    cluster.readyPod("rsyncer-1", "galileo", 9890);
    cluster.readyPod("rsyncer-2", "newton", 9890);
    cluster.readyPod("git-0", "galileo", 9891);
    cluster.readyPod("git-1", "newton", 9891);
    proxy = new FaultProxy(Integer.parseInt(cluster.url().replaceAll(".*:", "")));
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    Files.createDirectories(dir.resolve("conf.d"));
    AgentConfig config = ConfigLoader.parse(cluster.agentYaml(dir, proxy.url(),
        "  check-interval: 200ms\n  stale-after: 1s\n  probes-decide-after: 30s\n") + """
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp }
            kubernetes: { namespace: default, selector: "name=hc-rsyncer-app" }
            lb: { file: %1$s/conf.d/rsync-ssh.cfg }
          - name: git-ssh
            port: 9891
            probe: { type: tcp }
            kubernetes: { namespace: default, selector: "name=hc-rsyncer-app" }
            lb: { file: %1$s/conf.d/git-ssh.cfg }
        """.formatted(dir), "test");
    client = KubernetesClients.create(vertx, config.kubernetes());
    Promise<Void> started = Promise.promise();
    context.runOnContext(v -> {
      dev.lbhealth.agent.timing.VertxTimers timers = new dev.lbhealth.agent.timing.VertxTimers(vertx);
      nodes = new NodeWatch(vertx, client, timers);
      config.services().forEach(service -> {
        List<Map<String, Placement>> views = new CopyOnWriteArrayList<>();
        told.put(service.name(), views);
        KubernetesBackendSource source = new KubernetesBackendSource(vertx, client, config.kubernetes(), service, nodes, timers);
        sources.add(source);
        source.start(view -> {
          Map<String, Placement> byNode = new LinkedHashMap<>();
          view.forEach((t, p) -> byNode.put(t.node(), p));
          views.add(byNode);
        });
      });
      started.complete();
    });
    get(started.future());
  }

  @AfterEach
  void stop() throws Exception {
    Promise<Void> stopped = Promise.promise();
    context.runOnContext(v -> Future.join(sources.stream().map(KubernetesBackendSource::stop).toList())
        .transform(done -> nodes.stop()).<Void>mapEmpty().onComplete(stopped));
    get(stopped.future());
    client.close();
    proxy.close();
    cluster.close();
    get(vertx.close());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private <T> T onContext(Supplier<T> read) throws Exception {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> p.complete(read.get()));
    return get(p.future());
  }

  private Map<String, Placement> latest(String service) {
    List<Map<String, Placement>> views = told.get(service);
    return views.isEmpty() ? Map.of() : views.get(views.size() - 1);
  }

  private void awaitViews(Map<String, Placement> rsync, Map<String, Placement> git) {
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> latest("rsync-ssh").equals(rsync) && latest("git-ssh").equals(git));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("views told: " + told, e);
    }
  }

  private boolean allConfirmed() throws Exception {
    return onContext(() -> sources.stream().allMatch(s -> s.problem() == null && s.connected()));
  }

  @Test
  void twoServicesShareOneListAndOneWatchOfTheNodes() throws Exception {
    awaitViews(RSYNC, GIT);
    await().atMost(Duration.ofSeconds(10)).until(this::allConfirmed);
    assertEquals(1, cluster.nodeLists(), "one list of the nodes for both services");
    assertEquals(1, cluster.nodeWatches(), "one watch of the nodes for both services");

    // A node leaving the cluster reaches both services through the one watch.
    cluster.deleteNode("newton");
    awaitViews(Map.of("copernicus", Placement.SERVING, "galileo", Placement.SERVING),
        Map.of("copernicus", Placement.ABSENT, "galileo", Placement.SERVING));
    assertEquals(1, cluster.nodeLists());
  }

  @Test
  void afterAnOutageTheNodesAreListedAfreshOnceAndNeitherServiceSeesAnEmptyNodeCacheMeanwhile() throws Exception {
    awaitViews(RSYNC, GIT);
    await().atMost(Duration.ofSeconds(10)).until(this::allConfirmed);
    int lists = cluster.nodeLists();

    // Pods forbidden for a while: both services' reads fail, their watches break.
    cluster.forbid("pods", true);
    proxy.resetAll();
    await().atMost(Duration.ofSeconds(10)).until(() -> onContext(
        () -> sources.stream().allMatch(s -> s.problem() != null && s.problem().contains("forbidden"))));
    cluster.forbid("pods", false);
    await().atMost(Duration.ofSeconds(15)).until(this::allConfirmed);

    // Each service found the API answering again and asked for the nodes afresh: one new list.
    assertEquals(lists + 1, cluster.nodeLists(), "the shared nodes listed afresh once, not once per service");
    // While the nodes were listed afresh, neither service told a view without them.
    for (Map.Entry<String, List<Map<String, Placement>>> e : told.entrySet()) {
      Map<String, Placement> whole = e.getKey().equals("rsync-ssh") ? RSYNC : GIT;
      for (Map<String, Placement> view : e.getValue()) {
        assertEquals(whole, view, e.getKey() + " told a view that lost nodes: " + e.getValue());
      }
    }
    // And changes flow again to both.
    cluster.ready("git-1", false);
    awaitViews(RSYNC, Map.of("copernicus", Placement.ABSENT, "galileo", Placement.SERVING, "newton", Placement.ABSENT));
    assertTrue(cluster.nodeLists() <= lists + 1);
  }

  @Test
  void whileTheSharedNodesAreListedAfreshNoServiceReadsTheEmptyNewCache() throws Exception {
    awaitViews(RSYNC, GIT);
    await().atMost(Duration.ofSeconds(10)).until(this::allConfirmed);

    // The nodes are started afresh (as a source asks when their watch is lost) and the API takes
    // 2 s to list them; meanwhile a pod of git-ssh stops being Ready, an event git-ssh's own pod
    // watch delivers at once. Read from the new, still empty node cache, its view would hold no node.
    cluster.slowNodeLists(2_000);
    int lists = cluster.nodeLists();
    context.runOnContext(v -> nodes.restartIfStartedBy(System.nanoTime(), "a test"));
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.nodeLists() > lists);
    cluster.ready("git-1", false);
    Map<String, Placement> gitWithoutNewton = Map.of("copernicus", Placement.ABSENT, "galileo", Placement.SERVING, "newton", Placement.ABSENT);
    awaitViews(RSYNC, gitWithoutNewton);
    for (Map.Entry<String, List<Map<String, Placement>>> e : told.entrySet()) {
      for (Map<String, Placement> view : e.getValue()) {
        assertEquals(3, view.size(), e.getKey() + " told a view that lost nodes: " + e.getValue());
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(this::allConfirmed);
  }
}
