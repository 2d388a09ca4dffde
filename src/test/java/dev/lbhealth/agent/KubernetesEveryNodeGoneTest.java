package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.HaproxyProcess;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.demo.FakeCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every node leaves the cluster while the API answers: the agent applies that too (every server
 * leaves the LB; nginx keeps a valid upstream), instead of keeping the last servers forever
 * because it has no target left to decide on. A node that joins again is taken as any other.
 */
class KubernetesEveryNodeGoneTest {
  private static final String NODES = "    nodes:\n"
      + "      - { name: copernicus, address: 127.0.0.2 }\n"
      + "      - { name: galileo,    address: 127.0.0.3 }\n"
      + "      - { name: newton,     address: 127.0.0.4 }\n";

  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static JsonObject service(Agent agent) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.statusPort() + "/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    return new JsonObject(r.body()).getJsonArray("services").getJsonObject(0);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void everyNodeGoneLeavesNoServerAndANodeThatJoinsAgainIsTaken(Kind kind) throws Exception {
    Vertx vertx = Vertx.vertx();
    try (FakeCluster cluster = new FakeCluster();
        SeedScenario seed = new SeedScenario(vertx, dir, kind, SeedScenario.freePort(), SeedScenario.freePort())) {
      for (String node : List.of("copernicus", "galileo", "newton")) {
        cluster.node(node, SeedScenario.NODES.get(node));
      }
      cluster.readyPod("rsyncer-1", "galileo", seed.hostPort());
      get(seed.pod("galileo").start());
      seed.writeUnmanagedBackend();
      seed.lb().start();
      String yaml = cluster.agentYaml(dir) + seed.agentConfigYaml("no-nodes").replace(NODES,
          "    kubernetes: { namespace: default, selector: \"name=" + FakeCluster.LABEL + "\" }\n");
      Agent agent = new Agent(ConfigLoader.parse(yaml, "test"));
      get(vertx.deployVerticle(agent));
      await().atMost(Duration.ofSeconds(15)).until(() -> seed.lb().inRotation().equals(List.of("galileo")));

      get(seed.pod("galileo").stop());
      cluster.gone("rsyncer-1");
      for (String node : List.of("copernicus", "galileo", "newton")) {
        cluster.deleteNode(node);
      }
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        JsonObject now = service(agent);
        JsonObject last = now.getJsonObject("lastApply"); // none yet if the nodes went before the first apply ended
        return now.getJsonArray("nodes").isEmpty() && last != null && "applied".equals(last.getString("outcome"))
            && seed.lb().inRotation().isEmpty();
      });
      if (seed.lb() instanceof HaproxyProcess haproxy) {
        await().atMost(Duration.ofSeconds(15)).until(() -> haproxy.servers().isEmpty());
      } else {
        await().atMost(Duration.ofSeconds(15)).until(() -> Files.readString(seed.lbFile()).contains("server 127.0.0.1:1 down; # no node"));
        String file = Files.readString(seed.lbFile());
        assertTrue(!file.contains("galileo") && !file.contains("newton"), file);
        assertEquals("applied", service(agent).getJsonObject("lastApply").getString("outcome"), "nginx took the file");
      }

      cluster.node("kepler", "127.0.0.5");
      dev.lbhealth.agent.demo.PretendPod kepler = new dev.lbhealth.agent.demo.PretendPod(vertx, "kepler", "127.0.0.5", seed.hostPort());
      get(kepler.start());
      cluster.readyPod("rsyncer-2", "kepler", seed.hostPort());
      await().atMost(Duration.ofSeconds(15)).until(() -> seed.lb().inRotation().equals(List.of("kepler")));
      assertEquals(List.of("kepler"), service(agent).getJsonObject("serverSet").getJsonArray("active").getList());
      get(kepler.stop());
    } finally {
      get(vertx.close());
    }
  }
}
