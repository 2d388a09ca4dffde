package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.LbClient;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.demo.FakeCluster;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An RBAC mistake at start (the agent's account may not list pods), with HAProxy serving the
 * servers it had: the agent must not make that an outage of the box. /healthz stays 200 with a
 * warning that names the verb and the resource (a keepalived check must not drop the virtual IP
 * of both boxes of a pair that see the same API), HAProxy keeps serving, the log says it once in
 * a line (no stack trace on every retry), and once the API allows it the agent takes over.
 */
class KubernetesForbiddenAtStartTest {
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

  @Test
  void aForbiddenListAtStartKeepsTheLbServingAndHealthzUpAndSaysWhatIsForbiddenOnce() throws Exception {
    Vertx vertx = Vertx.vertx();
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    log.start();
    root.addAppender(log);
    try (FakeCluster cluster = new FakeCluster();
        SeedScenario seed = new SeedScenario(vertx, dir, Kind.HAPROXY, SeedScenario.freePort(), SeedScenario.freePort())) {
      cluster.node("copernicus", "127.0.0.2");
      cluster.node("galileo", "127.0.0.3");
      cluster.node("newton", "127.0.0.4");
      cluster.pod("rsyncer-1", "galileo", seed.hostPort());
      cluster.ready("rsyncer-1", true);
      get(seed.pod("galileo").start());
      seed.writeUnmanagedBackend(); // what HAProxy serves from before: every node, round robin
      seed.lb().start();
      cluster.forbid("pods", true);

      String yaml = cluster.agentYaml(dir, cluster.url(), "  check-interval: 200ms\n  stale-after: 1s\n")
          + seed.agentConfigYaml("all-nodes").replace(NODES,
              "    kubernetes: { namespace: default, selector: \"name=" + FakeCluster.LABEL + "\" }\n");
      Agent agent = new Agent(ConfigLoader.parse(yaml, "test"));
      get(vertx.deployVerticle(agent));

      // Past the source's first wait (5 s): the service is known to know nothing.
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        HttpResponse<String> h = http(agent, "/healthz");
        return h.statusCode() == 200 && h.body().contains("not listed yet");
      });
      JsonObject health = new JsonObject(http(agent, "/healthz").body());
      String warning = health.getJsonArray("warnings").getString(0);
      assertTrue(warning.contains("forbidden: cannot list pods in namespace default (HTTP 403")
          && warning.contains("the LB keeps the servers it has"), warning);
      List<String> before = seed.lb().inRotation();
      assertEquals(List.of("copernicus", "galileo", "newton"), before, "HAProxy keeps what it had");
      LbClient client = seed.client();
      LbClient.Attempt through = client.connect();
      int served = 0;
      for (int i = 0; i < 30; i++) {
        served += client.connect().ok() ? 1 : 0;
      }
      assertTrue(served > 0, "HAProxy still serves (redispatch finds galileo): " + through);

      List<ILoggingEvent> events = List.copyOf(log.list);
      assertEquals(List.of(), events.stream().filter(e -> e.getThrowableProxy() != null)
          .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList(), "no stack trace in the log");
      long forbiddenLines = events.stream().filter(e -> e.getFormattedMessage().contains("forbidden")).count();
      assertTrue(forbiddenLines >= 1 && forbiddenLines <= 3, "said once per reason, not per retry: " + forbiddenLines);

      // The RBAC mistake is fixed: the agent lists, and takes over.
      cluster.forbid("pods", false);
      await().atMost(Duration.ofSeconds(20)).until(() -> seed.lb().inRotation().equals(List.of("galileo")));
      await().atMost(Duration.ofSeconds(10)).until(() -> new JsonObject(http(agent, "/healthz").body())
          .getJsonArray("warnings").isEmpty());
      assertEquals(200, http(agent, "/healthz").statusCode());
    } finally {
      root.detachAppender(log);
      get(vertx.close());
    }
  }
}
