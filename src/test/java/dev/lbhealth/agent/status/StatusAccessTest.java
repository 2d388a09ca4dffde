package dev.lbhealth.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.ConfigLoader;
import io.vertx.core.Vertx;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Access to the status listener when it binds off loopback. */
class StatusAccessTest {
  private static final String TOKEN = "3f9c2a7d5e1b4c8a9d0e6f1a2b3c4d5e";
  @TempDir Path dir;

  private String config(String host, String tokenFile) throws Exception {
    Files.createDirectories(dir.resolve("conf.d"));
    return """
        status: { host: "%s", port: 0 %s }
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp, interval: 100ms }
            nodes: [ { name: copernicus, address: 127.0.0.2 } ]
            lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "true" }
        """.formatted(host, tokenFile == null ? "" : ", token-file: " + tokenFile, dir);
  }

  @Test
  void offLoopbackWithoutATokenIsAConfigError() throws Exception {
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> ConfigLoader.parse(config("0.0.0.0", null), "test"));
    assertEquals(List.of("status.token-file: is required when host is not a loopback address (0.0.0.0)"), e.errors());
    Path weak = Files.writeString(dir.resolve("weak"), "secret\n");
    e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> ConfigLoader.parse(config("0.0.0.0", weak.toString()), "test"));
    assertTrue(e.errors().get(0).startsWith("status.token-file: " + weak + " must hold one token of at least 16"), e.errors().toString());
  }

  @Test
  void everyDataEndpointNeedsTheTokenAndItNeverShows() throws Exception {
    Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    // Bound to every address, so off loopback; the test only ever connects to 127.0.0.1.
    AgentConfig config = ConfigLoader.parse(config("0.0.0.0", tokenFile.toString()), "test");
    assertFalse(config.toString().contains(TOKEN), "not even in the config's toString");
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    Vertx vertx = Vertx.vertx();
    try {
      Agent agent = new Agent(config);
      vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get();
      String base = "http://127.0.0.1:" + agent.statusPort();
      HttpClient http = HttpClient.newHttpClient();
      List<HttpResponse<String>> responses = new ArrayList<>();
      for (String path : List.of("/", "/app.js", "/style.css")) {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), path + ": the page holds no data and loads without a token");
        assertFalse(page.body().contains("copernicus"), path + " holds no data");
      }
      for (String path : List.of("/status", "/metrics", "/events", "/nope", "/webroot/index.html")) {
        for (String auth : new String[] {null, "Bearer wrong-token-of-enough-length", "Basic " + TOKEN, "Bearer " + TOKEN.substring(1)}) {
          HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
          if (auth != null) {
            request.header("Authorization", auth);
          }
          HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
          assertEquals(401, r.statusCode(), path + " with " + auth);
          assertEquals("", r.body(), "no detail");
          responses.add(r);
        }
      }
      HttpRequest healthz = HttpRequest.newBuilder(URI.create(base + "/healthz")).build();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> http.send(healthz, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      for (String path : List.of("/status", "/metrics", "/")) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path);
        responses.add(r);
      }
      for (HttpResponse<String> r : responses) {
        assertFalse(r.body().contains(TOKEN) || r.headers().toString().contains(TOKEN), r.uri().toString());
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      root.detachAppender(logs);
    }
    assertFalse(logs.list.isEmpty(), "the agent did log");
    logs.list.forEach(e -> assertFalse(e.getFormattedMessage().contains(TOKEN), e.getFormattedMessage()));
  }

  @Test
  void oversizedRequestHeadersAreRefused() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Agent agent = new Agent(ConfigLoader.parse(config("127.0.0.1", null), "test"));
      vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get();
      try (Socket s = new Socket("127.0.0.1", agent.statusPort())) {
        s.getOutputStream().write(("GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        assertEquals("HTTP/1.1 431", answer);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
