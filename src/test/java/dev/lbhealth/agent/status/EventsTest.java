package dev.lbhealth.agent.status;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /events as a script reads it: server-sent events of health changes and applies. */
class EventsTest {
  @TempDir Path dir;

  @Test
  void aScriptSeesTheNodeGoDownAndTheApplyThatFollows() throws Exception {
    LiveAgent live = new LiveAgent(dir, 2, "copernicus");
    List<String> lines = new CopyOnWriteArrayList<>();
    try {
      HttpClient http = HttpClient.newHttpClient();
      await().atMost(Duration.ofSeconds(10)).until(() -> http.send(HttpRequest.newBuilder(URI.create(live.url("/healthz"))).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      HttpResponse<Stream<String>> events = http.send(
          HttpRequest.newBuilder(URI.create(live.url("/events"))).build(),
          HttpResponse.BodyHandlers.ofLines());
      assertEquals("text/event-stream", events.headers().firstValue("Content-Type").orElse(""));
      Thread reader = new Thread(() -> events.body().forEach(lines::add));
      reader.setDaemon(true);
      reader.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> !lines.isEmpty());
      live.stopPod("copernicus");
      await().atMost(Duration.ofSeconds(5)).until(() -> lines.stream().anyMatch(l -> l.startsWith("data: ")
          && new JsonObject(l.substring(6)).getString("type").equals("health")
          && new JsonObject(l.substring(6)).getJsonObject("node").getString("name").equals("copernicus")
          && new JsonObject(l.substring(6)).getJsonObject("node").getString("health").equals("down")));
      await().atMost(Duration.ofSeconds(5)).until(() -> lines.stream().anyMatch(l -> l.startsWith("data: ")
          && new JsonObject(l.substring(6)).getString("type").equals("apply")
          && new JsonObject(l.substring(6)).getJsonObject("service").getJsonObject("serverSet").getJsonArray("active").size() == 2
          && new JsonObject(l.substring(6)).getJsonObject("service").getJsonObject("serverSet").getString("reason").startsWith("none healthy")));
      assertTrue(lines.get(0).startsWith(": "), "a comment opens the stream");
    } finally {
      live.close();
    }
  }
}
