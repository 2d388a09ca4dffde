package dev.lbhealth.agent.status;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /events as a script reads it: server-sent events of health changes and applies. */
class EventsTest {
  @TempDir Path dir;

  @Test
  void aScriptSeesTheNodeGoDownAndTheApplyThatFollows() throws Exception {
    Vertx vertx = Vertx.vertx();
    int port = SeedScenario.freePort();
    PretendPod copernicus = new PretendPod(vertx, "copernicus", "127.0.0.2", port);
    copernicus.start().toCompletionStage().toCompletableFuture().get();
    Files.createDirectories(dir.resolve("conf.d"));
    Agent agent = new Agent(ConfigLoader.parse("""
        status: { port: 0 }
        services:
          - name: rsync-ssh
            port: %d
            probe: { type: tcp, interval: 100ms, fall: 2 }
            nodes: [ { name: copernicus, address: 127.0.0.2 }, { name: galileo, address: 127.0.0.3 } ]
            lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "true" }
        """.formatted(port, dir), "test"));
    vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get();
    List<String> lines = new CopyOnWriteArrayList<>();
    try {
      HttpResponse<Stream<String>> events = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.statusPort() + "/events")).build(),
          HttpResponse.BodyHandlers.ofLines());
      assertEquals("text/event-stream", events.headers().firstValue("Content-Type").orElse(""));
      Thread reader = new Thread(() -> events.body().forEach(lines::add));
      reader.setDaemon(true);
      reader.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> lines.contains("event: apply"));
      copernicus.stop().toCompletionStage().toCompletableFuture().get();
      await().atMost(Duration.ofSeconds(5)).until(() -> lines.stream().anyMatch(l -> l.startsWith("data: ")
          && new JsonObject(l.substring(6)).getString("type").equals("health")
          && new JsonObject(l.substring(6)).getJsonObject("node").getString("name").equals("copernicus")
          && new JsonObject(l.substring(6)).getJsonObject("node").getString("health").equals("down")));
      await().atMost(Duration.ofSeconds(5)).until(() -> lines.stream().anyMatch(l -> l.startsWith("data: ")
          && new JsonObject(l.substring(6)).getString("type").equals("apply")
          && new JsonObject(l.substring(6)).getJsonObject("service").getJsonObject("serverSet").getJsonArray("active").isEmpty() == false
          && new JsonObject(l.substring(6)).getJsonObject("service").getJsonObject("serverSet").getString("reason").startsWith("none healthy")));
      assertTrue(lines.get(0).startsWith(": "), "a comment opens the stream");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
