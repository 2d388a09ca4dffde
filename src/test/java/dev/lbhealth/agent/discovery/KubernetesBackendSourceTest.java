package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.demo.FakeCluster;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigLoader;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kubernetes source against fabric8's mock API server in CRUD mode, with real watches. */
class KubernetesBackendSourceTest {
  @TempDir Path dir;
  private FakeCluster cluster;
  private Vertx vertx;
  private Context context;
  private KubernetesClient client;
  private KubernetesBackendSource source;
  private volatile Map<Target, Placement> latest;

  @BeforeEach
  void start() throws Exception {
    cluster = new FakeCluster();
    cluster.node("copernicus", "127.0.0.2");
    cluster.node("galileo", "127.0.0.3");
    cluster.node("newton", "127.0.0.4");
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    Files.createDirectories(dir.resolve("conf.d"));
    AgentConfig config = ConfigLoader.parse(cluster.agentYaml(dir) + """
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp }
            kubernetes: { namespace: default, selector: "name=hc-rsyncer-app" }
            lb: { file: %s/conf.d/rsync-ssh.cfg }
        """.formatted(dir), "test");
    client = KubernetesClients.create(vertx, config.kubernetes());
    Promise<Void> started = Promise.promise();
    context.runOnContext(v -> {
      source = new KubernetesBackendSource(vertx, client, config.kubernetes(), config.services().get(0));
      source.start(view -> latest = view);
      started.complete();
    });
    get(started.future());
    await().atMost(Duration.ofSeconds(10)).until(() -> latest != null && latest.size() == 3);
  }

  @AfterEach
  void stop() throws Exception {
    Promise<Void> stopped = Promise.promise();
    context.runOnContext(v -> source.stop().onComplete(stopped));
    // fabric8's mock web socket (8.0.0) can hold a watch's close for its 30 s write timeout when
    // the socket closes while it sends (VertxMockWebSocket.awaitWrite): the stop then ends late.
    stopped.future().toCompletionStage().toCompletableFuture().get(45, TimeUnit.SECONDS);
    client.close();
    cluster.close();
    get(vertx.close());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** node -> placement in the latest view, in view order. */
  private Map<String, Placement> placements() {
    Map<String, Placement> out = new LinkedHashMap<>();
    latest.forEach((t, p) -> out.put(t.node(), p));
    return out;
  }

  private void awaitPlacements(Placement copernicus, Placement galileo, Placement newton) {
    await().atMost(Duration.ofSeconds(10)).until(() -> placements().equals(Map.of(
        "copernicus", copernicus, "galileo", galileo, "newton", newton)));
  }

  @Test
  void everyNodeIsATargetAtItsInternalIpAndAPodsLifePlacesItsNode() {
    assertEquals(List.of(new Target("rsync-ssh", "copernicus", "127.0.0.2", 9890),
        new Target("rsync-ssh", "galileo", "127.0.0.3", 9890), new Target("rsync-ssh", "newton", "127.0.0.4", 9890)),
        List.copyOf(latest.keySet()));
    awaitPlacements(Placement.ABSENT, Placement.ABSENT, Placement.ABSENT);

    cluster.pod("rsyncer-1", "galileo", 9890);
    cluster.pod("other-port", "copernicus", 9999); // a pod that does not publish the service's port
    awaitPlacements(Placement.ABSENT, Placement.ABSENT, Placement.ABSENT);
    cluster.ready("rsyncer-1", true);
    awaitPlacements(Placement.ABSENT, Placement.SERVING, Placement.ABSENT);

    // A rolling update: the new pod is Ready on newton, then the old one starts terminating.
    cluster.pod("rsyncer-2", "newton", 9890);
    cluster.ready("rsyncer-2", true);
    awaitPlacements(Placement.ABSENT, Placement.SERVING, Placement.SERVING);
    cluster.terminate("rsyncer-1");
    awaitPlacements(Placement.ABSENT, Placement.TERMINATING, Placement.SERVING);
    cluster.gone("rsyncer-1");
    awaitPlacements(Placement.ABSENT, Placement.ABSENT, Placement.SERVING);
    assertNull(source.problem());
  }

  @Test
  void aWatchAnswered410GoneListsAgainAndFindsThePodThatMovedMeanwhile() throws Exception {
    cluster.pod("rsyncer-1", "galileo", 9890);
    cluster.ready("rsyncer-1", true);
    awaitPlacements(Placement.ABSENT, Placement.SERVING, Placement.ABSENT);
    int lists = cluster.podLists();

    // The API is away long enough to forget the watch's resource version, and meanwhile the pod
    // moved to newton: the resumed watch gets 410 Gone, and only a new list can tell the move.
    cluster.goneOnNextPodWatch();
    cluster.stop();
    await().atMost(Duration.ofSeconds(10)).until(() -> source.problem() != null);
    assertEquals(Map.of("copernicus", Placement.ABSENT, "galileo", Placement.SERVING, "newton", Placement.ABSENT), placements(),
        "what was last seen stands while the API is away");
    cluster.restart(c -> {
      c.node("copernicus", "127.0.0.2");
      c.node("galileo", "127.0.0.3");
      c.node("newton", "127.0.0.4");
      c.readyPod("rsyncer-2", "newton", 9890);
    });
    awaitPlacements(Placement.ABSENT, Placement.ABSENT, Placement.SERVING);
    assertTrue(cluster.podLists() > lists, "listed again after the 410");
    await().atMost(Duration.ofSeconds(20)).until(() -> source.connected() && source.problem() == null);
    cluster.terminate("rsyncer-2");
    awaitPlacements(Placement.ABSENT, Placement.ABSENT, Placement.TERMINATING);
  }

  @Test
  void aNodeNameOrAddressThatCouldInjectLbConfigIsRefusedAndReported() {
    cluster.node("kepler disabled\n    server evil 127.0.0.9:22", "127.0.0.5");
    cluster.node("a".repeat(253), "127.0.0.6");
    cluster.node("tycho", "127.0.0.7 check\n    server evil 127.0.0.9:22");
    cluster.node("brahe", "127.0.0.8");
    await().atMost(Duration.ofSeconds(10)).until(() -> placements().containsKey("brahe"));
    assertEquals(List.of("brahe", "copernicus", "galileo", "newton"), List.copyOf(placements().keySet()),
        "only the safe nodes are targets");
    String problem = source.problem();
    assertTrue(problem.contains("node 'kepler disabled\n    server evil 127.0.0.9:22' left out: its name is not safe"), problem);
    assertTrue(problem.contains("node '" + "a".repeat(77) + "...' left out"), "a long name is cut: " + problem);
    assertTrue(problem.contains("node tycho left out: address '127.0.0.7 check"), problem);
  }

  @Test
  void whileTheApiIsAwayWhatWasLastSeenStandsAndOnReturnTheViewIsCurrentAgain() throws Exception {
    cluster.pod("rsyncer-1", "galileo", 9890);
    cluster.ready("rsyncer-1", true);
    awaitPlacements(Placement.ABSENT, Placement.SERVING, Placement.ABSENT);

    cluster.stop();
    await().atMost(Duration.ofSeconds(30)).until(() -> !source.connected());
    assertTrue(source.problem().startsWith("Kubernetes view not confirmed for "), source.problem());
    assertTrue(source.problem().contains("cannot connect"), source.problem());
    assertEquals(Map.of("copernicus", Placement.ABSENT, "galileo", Placement.SERVING, "newton", Placement.ABSENT), placements(),
        "what was last seen stands (until probes-decide-after, 5 minutes by default)");

    // The API comes back as it was (the same etcd): the view is current again, and changes flow.
    cluster.restart(c -> {
      c.node("copernicus", "127.0.0.2");
      c.node("galileo", "127.0.0.3");
      c.node("newton", "127.0.0.4");
      c.readyPod("rsyncer-1", "galileo", 9890);
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> source.connected() && source.problem() == null);
    awaitPlacements(Placement.ABSENT, Placement.SERVING, Placement.ABSENT);
    cluster.pod("rsyncer-2", "newton", 9890);
    cluster.ready("rsyncer-2", true);
    cluster.terminate("rsyncer-1");
    awaitPlacements(Placement.ABSENT, Placement.TERMINATING, Placement.SERVING);
  }
}
