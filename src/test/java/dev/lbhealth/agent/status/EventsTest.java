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
      // A script that sees an apply asks /status at once: it must already show that apply.
      List<String> staleAfterApply = new CopyOnWriteArrayList<>();
      List<String> checkedApplies = new CopyOnWriteArrayList<>();
      Thread reader = new Thread(() -> events.body().forEach(l -> {
        lines.add(l);
        if (l.startsWith("data: ") && new JsonObject(l.substring(6)).getString("type").equals("apply")) {
          Object applied = new JsonObject(l.substring(6)).getJsonObject("service").getJsonObject("serverSet");
          try {
            Object shown = new JsonObject(http.send(HttpRequest.newBuilder(URI.create(live.url("/status?service=rsync-ssh"))).build(),
                HttpResponse.BodyHandlers.ofString()).body()).getJsonArray("services").getJsonObject(0).getJsonObject("serverSet");
            (applied.equals(shown) ? checkedApplies : staleAfterApply).add(applied + " vs " + shown);
          } catch (Exception e) {
            staleAfterApply.add(e.toString());
          }
        }
      }));
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
      await().atMost(Duration.ofSeconds(5)).until(() -> checkedApplies.size() + staleAfterApply.size() >= 1);
      assertEquals(List.of(), staleAfterApply, "/status right after an apply event shows that apply");
      assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(live.url("/status?service=nope"))).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
    } finally {
      live.close();
    }
  }

  @Test
  void aClientOverTheCapIsRefusedAndItsConnectionClosedAtOnce() throws Exception {
    LiveAgent live = new LiveAgent(dir, 1, "copernicus");
    int port = java.net.URI.create(live.url("/")).getPort();
    List<java.net.Socket> open = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < StatusServer.MAX_EVENT_CLIENTS; i++) {
        open.add(sse(port));
      }
      try (java.net.Socket refused = new java.net.Socket("127.0.0.1", port)) {
        refused.setSoTimeout(5000); // far below the 30 s idle timeout
        refused.getOutputStream().write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String answer = new String(refused.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
        assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), answer);
      }
    } finally {
      for (java.net.Socket s : open) {
        s.close();
      }
      live.close();
    }
  }

  /** An /events client that has read the stream's first line, so the server counts it. */
  private static java.net.Socket sse(int port) throws Exception {
    java.net.Socket s = new java.net.Socket("127.0.0.1", port);
    s.setSoTimeout(5000);
    s.getOutputStream().write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    java.io.InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().contains("lb-health-agent events")) {
      int c = in.read();
      if (c < 0) {
        throw new java.io.IOException("closed: " + head);
      }
      head.append((char) c);
    }
    return s;
  }
}
