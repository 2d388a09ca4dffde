package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.LbClient;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.demo.FakeCluster;
import dev.lbhealth.agent.discovery.FaultProxy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Kubernetes discovery end to end, with a real HAProxy and a real nginx on 127.0.0.1, pods on
 * 127.0.0.2-4 and fabric8's mock API server: a rolling update in which the old pod keeps serving
 * for 1 s after its deletionTimestamp (a preStop delay), then accepts but serves nothing for 1 s,
 * then closes, while a client connects through the LB every 10 ms, and the API is unreachable for
 * those 2 s (a proxy in front of it refuses): the drain must hold through the lapse, in what the
 * agent believes and in the LB, sampled every 20 ms. Then the API goes away and comes back.
 */
class KubernetesRollingUpdateTest {
  /** The demo config's static nodes, which this test replaces with Kubernetes discovery. */
  private static final String NODES = "    nodes:\n"
      + "      - { name: copernicus, address: 127.0.0.2 }\n"
      + "      - { name: galileo,    address: 127.0.0.3 }\n"
      + "      - { name: newton,     address: 127.0.0.4 }\n";

  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static HttpResponse<String> http(Agent agent, String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.statusPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject service(Agent agent) throws Exception {
    return new JsonObject(http(agent, "/status").body()).getJsonArray("services").getJsonObject(0);
  }

  /** The scenario's own timing (Kubernetes' grace periods), not a wait for a condition. */
  private static void scenarioPause(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aRollingUpdateWithAPreStopDelayFailsNoConnectionAndTheApiMayComeAndGo(Kind kind) throws Exception {
    Vertx vertx = Vertx.vertx(BlockedThreadWatch.strictOptions());
    BlockedThreadWatch blocked = new BlockedThreadWatch();
    try (FakeCluster cluster = new FakeCluster();
        FaultProxy proxy = new FaultProxy(Integer.parseInt(cluster.url().replaceAll(".*:", "")));
        SeedScenario seed = new SeedScenario(vertx, dir, kind, SeedScenario.freePort(), SeedScenario.freePort())) {
      cluster.node("copernicus", "127.0.0.2");
      cluster.node("galileo", "127.0.0.3");
      cluster.node("newton", "127.0.0.4");
      cluster.pod("rsyncer-1", "galileo", seed.hostPort());
      get(seed.pod("galileo").start());
      cluster.ready("rsyncer-1", true);
      seed.writeUnmanagedBackend();
      seed.lb().start();

      String yaml = cluster.agentYaml(dir, proxy.url(), "") + seed.agentConfigYaml("no-nodes").replace(NODES,
          "    kubernetes: { namespace: default, selector: \"name=" + FakeCluster.LABEL + "\" }\n");
      assertTrue(yaml.contains("    kubernetes: { namespace: default") && !yaml.contains("    nodes:"), yaml);
      Agent agent = new Agent(ConfigLoader.parse(yaml, "test"));
      get(vertx.deployVerticle(agent));
      LbClient client = seed.client();
      await().atMost(Duration.ofSeconds(15)).until(() -> http(agent, "/healthz").statusCode() == 200
          && service(agent).getJsonObject("serverSet").getJsonArray("active").getList().equals(List.of("galileo")));
      // The LB's reload (nginx) is asynchronous: wait until its new workers serve.
      await().atMost(Duration.ofSeconds(5)).until(() -> {
        for (int i = 0; i < 10; i++) {
          LbClient.Attempt a = client.connect();
          if (!a.ok() || !"galileo".equals(a.node())) {
            return false;
          }
        }
        return true;
      });

      // A client connects every 10 ms through the LB for the whole update.
      List<String> failures = new CopyOnWriteArrayList<>();
      AtomicInteger attempts = new AtomicInteger();
      AtomicBoolean running = new AtomicBoolean(true);
      Thread clients = new Thread(() -> {
        while (running.get()) {
          LbClient.Attempt a = client.connect();
          attempts.incrementAndGet();
          if (!a.ok()) {
            failures.add(System.nanoTime() / 1_000_000 + " ms: " + a.error());
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
      }, "clients");
      clients.start();

      // The new pod comes up on newton and is Ready; then the old one is told to terminate.
      get(seed.pod("newton").start());
      cluster.pod("rsyncer-2", "newton", seed.hostPort());
      cluster.ready("rsyncer-2", true);
      await().atMost(Duration.ofSeconds(5)).until(() -> service(agent).getJsonObject("serverSet").getJsonArray("active")
          .getList().equals(List.of("galileo", "newton")));
      cluster.terminate("rsyncer-1");
      await().atMost(Duration.ofSeconds(2)).until(() -> service(agent).getJsonObject("serverSet").getJsonArray("draining")
          .getList().equals(List.of("galileo")));
      // From here on galileo is draining: sampled, neither the agent nor the LB may put it back.
      await().atMost(Duration.ofSeconds(2)).until(() -> !seed.lb().takingNewConnections().contains("galileo"));
      List<String> undone = new CopyOnWriteArrayList<>();
      AtomicBoolean sampling = new AtomicBoolean(true);
      Thread sampler = new Thread(() -> {
        while (sampling.get()) {
          try {
            List<?> believed = service(agent).getJsonObject("serverSet").getJsonArray("active").getList();
            List<String> served = seed.lb().takingNewConnections();
            if (believed.contains("galileo") || served.contains("galileo")) {
              undone.add("agent " + believed + ", LB " + served);
            }
          } catch (Exception e) {
            undone.add("sample failed: " + e);
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
      }, "sampler");
      sampler.start();
      proxy.refuse(); // the API out of reach for the rest of the pod's grace
      scenarioPause(1000); // preStop: the old pod still serves
      seed.pod("galileo").silence();
      scenarioPause(1000); // its process is gone, its port still accepts
      proxy.thaw();
      get(seed.pod("galileo").stop());
      cluster.gone("rsyncer-1");
      scenarioPause(500);
      running.set(false);
      clients.join();
      sampling.set(false);
      sampler.join();
      assertEquals(List.of(), undone, kind + ": the drain of galileo held through the API's lapse");

      assertTrue(attempts.get() > 150, "the client kept connecting: " + attempts.get());
      assertEquals(List.of(), failures, kind + ": no client connection failed during the rolling update");
      JsonObject status = service(agent);
      assertEquals(List.of("newton"), status.getJsonObject("serverSet").getJsonArray("active").getList());
      if (kind == Kind.HAPROXY) {
        assertEquals("runtime-api", status.getJsonObject("lastApply").getString("method"));
      }

      // The API goes away: probing and traffic go on, /status says so, /healthz stays 200.
      cluster.stop();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        String problem = service(agent).getJsonObject("discovery").getString("problem");
        return problem != null && problem.startsWith("Kubernetes API: ");
      });
      HttpResponse<String> health = http(agent, "/healthz");
      assertEquals(200, health.statusCode(), health.body());
      assertTrue(new JsonObject(health.body()).getJsonArray("warnings").getString(0).contains("Kubernetes API: "), health.body());
      for (int i = 0; i < 10; i++) {
        LbClient.Attempt a = client.connect();
        assertTrue(a.ok() && "newton".equals(a.node()), "traffic goes on while the API is away: " + a);
      }
      // And back, as it was: resynced.
      cluster.restart(c -> {
        c.node("copernicus", "127.0.0.2");
        c.node("galileo", "127.0.0.3");
        c.node("newton", "127.0.0.4");
        c.readyPod("rsyncer-2", "newton", seed.hostPort());
      });
      await().atMost(Duration.ofSeconds(20)).until(() -> service(agent).getJsonObject("discovery").getString("problem") == null);
      assertEquals(List.of("newton"), service(agent).getJsonObject("serverSet").getJsonArray("active").getList());
      assertEquals(List.of("newton"), seed.lb().inRotation(), "newton stayed in rotation through the outage and the resync");
    } finally {
      get(vertx.close());
      blocked.close();
    }
    assertEquals(List.of(), blocked.warnings(), "no event loop was blocked");
  }
}
