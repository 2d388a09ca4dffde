package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stopped nginx is the agent's problem (/healthz 503, named) until nginx runs again. */
class NginxTruthTest {
  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aStoppedNginxIsAProblemUntilItRunsAgain() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SeedScenario seed = new SeedScenario(vertx, dir, Kind.NGINX, SeedScenario.freePort(), SeedScenario.freePort())) {
      get(seed.pod("copernicus").start());
      seed.writeUnmanagedBackend();
      seed.lb().start();
      String yaml = seed.agentConfigYaml("all-nodes").replace("      kind: nginx\n", "      kind: nginx\n      drift-check: 200ms\n");
      Agent agent = new Agent(ConfigLoader.parse(yaml, "test"));
      get(vertx.deployVerticle(agent));
      HttpClient http = HttpClient.newHttpClient();
      URI healthz = URI.create("http://127.0.0.1:" + agent.statusPort() + "/healthz");
      await().atMost(Duration.ofSeconds(10)).until(() -> http.send(HttpRequest.newBuilder(healthz).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

      seed.lb().close();
      String[] last = {""};
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> (last[0] = http.send(HttpRequest.newBuilder(healthz).build(),
            HttpResponse.BodyHandlers.ofString()).body()).contains("the reload command did not bring it back"));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("/healthz said " + last[0], e);
      }
      HttpResponse<String> down = http.send(HttpRequest.newBuilder(healthz).build(), HttpResponse.BodyHandlers.ofString());
      String problem = new JsonObject(down.body()).getJsonArray("problems").getString(0);
      assertTrue(down.statusCode() == 503 && problem.startsWith("service rsync-ssh: nginx is not running (no master process of "), down.body());

      seed.lb().start();
      await().atMost(Duration.ofSeconds(10)).until(() -> http.send(HttpRequest.newBuilder(healthz).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    } finally {
      get(vertx.close());
    }
  }
}
