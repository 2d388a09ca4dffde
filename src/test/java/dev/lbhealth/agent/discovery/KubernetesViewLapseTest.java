package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.demo.FakeCluster;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes view through the faults a real cluster's network and API produce every day, with
 * a fault-injecting proxy in front of the stand-in API: watches the server ends, resets, a silent
 * freeze, 410 Gone as a watch's HTTP status, 403 mid-run and at start. Every view the source tells
 * is recorded: none may undo a drain or put a node whose pod is not Ready in rotation.
 *
 * <p>The cluster: galileo runs a Ready pod, newton one that is not Ready (its port may answer),
 * copernicus one that is terminating (drained). Timing is the config's, shortened: a check every
 * 200 ms, stale after 1 s, probes decide after 4 s.
 */
class KubernetesViewLapseTest {
  private static final Map<String, Placement> SEEN = Map.of(
      "copernicus", Placement.TERMINATING, "galileo", Placement.SERVING, "newton", Placement.ABSENT);

  @TempDir Path dir;
  private FakeCluster cluster;
  private FaultProxy proxy;
  private Vertx vertx;
  private Context context;
  private KubernetesClient client;
  private KubernetesBackendSource source;
  private final List<Map<String, Placement>> told = new CopyOnWriteArrayList<>();

  @BeforeEach
  void cluster() throws Exception {
    cluster = new FakeCluster();
    cluster.node("copernicus", "127.0.0.2");
    cluster.node("galileo", "127.0.0.3");
    cluster.node("newton", "127.0.0.4");
    cluster.pod("rsyncer-0", "copernicus", 9890);
    cluster.ready("rsyncer-0", true);
    cluster.terminate("rsyncer-0");
    cluster.pod("rsyncer-1", "galileo", 9890);
    cluster.ready("rsyncer-1", true);
    cluster.pod("rsyncer-2", "newton", 9890);
    cluster.ready("rsyncer-2", false);
    proxy = new FaultProxy(Integer.parseInt(cluster.url().replaceAll(".*:", "")));
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  private void startSource() throws Exception {
    Files.createDirectories(dir.resolve("conf.d"));
    AgentConfig config = ConfigLoader.parse(cluster.agentYaml(dir, proxy.url(),
        "  check-interval: 200ms\n  stale-after: 1s\n  probes-decide-after: 4s\n") + """
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
      source.start(view -> {
        Map<String, Placement> byNode = new LinkedHashMap<>();
        view.forEach((t, p) -> byNode.put(t.node(), p));
        told.add(byNode);
      });
      started.complete();
    });
    get(started.future());
  }

  @AfterEach
  void stop() throws Exception {
    if (source != null) {
      Promise<Void> stopped = Promise.promise();
      context.runOnContext(v -> source.stop().onComplete(stopped));
      get(stopped.future());
      client.close();
    }
    proxy.close();
    cluster.close();
    get(vertx.close());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private Map<String, Placement> latest() {
    return told.isEmpty() ? Map.of() : told.get(told.size() - 1);
  }

  private <T> T onContext(Supplier<T> read) throws Exception {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> p.complete(read.get()));
    return get(p.future());
  }

  private String problem() throws Exception {
    return onContext(() -> source.problem());
  }

  private void awaitView(Map<String, Placement> view) {
    await().atMost(Duration.ofSeconds(10)).until(() -> latest().equals(view));
  }

  /** Every view told since the first full one kept the drain and kept newton (not Ready) out. */
  private void assertNoDrainUndoneAndNoNotReadyNodeIn() {
    for (Map<String, Placement> view : told) {
      if (view.isEmpty()) {
        continue;
      }
      assertEquals(Placement.TERMINATING, view.get("copernicus"), "the drain of copernicus was undone in " + told);
      assertEquals(Placement.ABSENT, view.get("newton"), "newton, whose pod is not Ready, was let in by " + told);
    }
  }

  private void awaitConfirmed() {
    await().atMost(Duration.ofSeconds(15)).until(() -> onContext(() -> source.problem() == null && source.connected()));
  }

  @Test
  void watchesTheServerEndsOrThatAreResetChangeNothingAndChangesStillFlow() throws Exception {
    startSource();
    awaitView(SEEN);
    for (int i = 0; i < 3; i++) {
      int before = proxy.accepted();
      if (i % 2 == 0) {
        proxy.closeAll();
      } else {
        proxy.resetAll();
      }
      // Both watches come back on new connections, and the view is confirmed again.
      await().atMost(Duration.ofSeconds(15)).until(() -> proxy.accepted() >= before + 2);
      awaitConfirmed();
    }
    assertEquals(SEEN, latest());
    assertNoDrainUndoneAndNoNotReadyNodeIn();

    cluster.ready("rsyncer-2", true);
    awaitView(Map.of("copernicus", Placement.TERMINATING, "galileo", Placement.SERVING, "newton", Placement.SERVING));
  }

  @Test
  void aSilentFreezeIsReportedWithinTheBoundKeepsWhatWasSeenAndHealsByItself() throws Exception {
    startSource();
    awaitView(SEEN);
    awaitConfirmed();

    proxy.freeze();
    long frozenAt = System.nanoTime();
    cluster.terminate("rsyncer-1"); // the API knows; the agent cannot hear it
    await().atMost(Duration.ofSeconds(30)).until(() -> !onContext(() -> source.connected()));
    long reportedMs = (System.nanoTime() - frozenAt) / 1_000_000;
    String problem = problem();
    assertTrue(problem.startsWith("Kubernetes view not confirmed for "), problem);
    assertTrue(problem.contains("no answer in time to a list of pods in namespace default"), problem);
    assertTrue(reportedMs < 3_000, "reported " + reportedMs + " ms after the freeze (stale-after 1s, checks every 200ms)");
    assertEquals(SEEN, latest(), "what was last seen stands");

    // Too long without a confirmed view: the probes decide, but the drain stays.
    await().atMost(Duration.ofSeconds(10)).until(() -> latest().get("galileo") == Placement.UNKNOWN);
    assertEquals(Map.of("copernicus", Placement.TERMINATING, "galileo", Placement.UNKNOWN, "newton", Placement.UNKNOWN), latest());
    assertTrue(problem().contains("probes alone decide (a node being drained stays drained)"), problem());

    // The network heals; the frozen connections stay dead, as a forgotten NAT entry does.
    proxy.thaw();
    await().atMost(Duration.ofSeconds(15)).until(() -> latest().equals(Map.of(
        "copernicus", Placement.TERMINATING, "galileo", Placement.TERMINATING, "newton", Placement.ABSENT)));
    awaitConfirmed();
    cluster.ready("rsyncer-2", true);
    await().atMost(Duration.ofSeconds(10)).until(() -> latest().get("newton") == Placement.SERVING);
    for (Map<String, Placement> view : told) {
      assertEquals(Placement.TERMINATING, view.get("copernicus"), "the drain of copernicus was undone in " + told);
    }
  }

  @Test
  void a410AsTheWatchsHttpStatusListsAfreshAndFindsWhatChangedMeanwhile() throws Exception {
    startSource();
    awaitView(SEEN);
    awaitConfirmed();
    int lists = cluster.podLists();

    // The watch breaks; meanwhile etcd is compacted and the pod on galileo terminates: the watch
    // resumed from its version is refused with HTTP 410, and only a new list tells the change.
    proxy.refuse();
    cluster.compact();
    cluster.terminate("rsyncer-1");
    proxy.thaw();
    awaitView(Map.of("copernicus", Placement.TERMINATING, "galileo", Placement.TERMINATING, "newton", Placement.ABSENT));
    assertTrue(cluster.podLists() > lists + 1, "listed afresh (not only the checks' reads)");
    awaitConfirmed();
    cluster.gone("rsyncer-1");
    awaitView(Map.of("copernicus", Placement.TERMINATING, "galileo", Placement.ABSENT, "newton", Placement.ABSENT));
    assertNoDrainUndoneAndNoNotReadyNodeIn();
  }

  @Test
  void a403MidRunIsReportedAsForbiddenWithVerbAndResourceAndTheViewStands() throws Exception {
    startSource();
    awaitView(SEEN);
    awaitConfirmed();

    cluster.forbid("pods", true);
    proxy.resetAll();
    await().atMost(Duration.ofSeconds(10)).until(() -> problem() != null && problem().contains("forbidden"));
    String problem = problem();
    assertTrue(problem.contains("forbidden: cannot list pods in namespace default (HTTP 403: pods is forbidden: User")
        || problem.contains("forbidden: cannot watch pods in namespace default (HTTP 403"), problem);
    assertTrue(problem.contains("see config/rbac.yaml"), problem);
    assertFalse(problem.contains("out of reach"), problem);
    await().atMost(Duration.ofSeconds(10)).until(() -> problem().startsWith("Kubernetes view not confirmed for "));
    assertEquals(SEEN, latest());

    cluster.forbid("pods", false);
    awaitConfirmed();
    cluster.ready("rsyncer-2", true);
    awaitView(Map.of("copernicus", Placement.TERMINATING, "galileo", Placement.SERVING, "newton", Placement.SERVING));
    for (Map<String, Placement> view : told) {
      assertEquals(Placement.TERMINATING, view.get("copernicus"), "the drain of copernicus was undone in " + told);
    }
  }

  @Test
  void a403AtStartSaysForbiddenAndTellsNothingUntilTheApiAllowsIt() throws Exception {
    cluster.forbid("nodes", true);
    startSource();
    await().atMost(Duration.ofSeconds(10)).until(() -> problem().contains("forbidden"));
    String problem = problem();
    assertTrue(problem.startsWith("Kubernetes API not listed yet: forbidden: cannot list nodes (HTTP 403"), problem);
    assertTrue(problem.endsWith("; the LB keeps the servers it has"), problem);
    assertFalse(onContext(() -> source.listed()));
    assertTrue(told.stream().allMatch(Map::isEmpty), "no target told while nothing is known: " + told);

    cluster.forbid("nodes", false);
    awaitView(SEEN);
    awaitConfirmed();
    assertNull(problem());
  }
}
