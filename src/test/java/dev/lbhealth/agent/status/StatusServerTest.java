package dev.lbhealth.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.config.StatusConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusServerTest {
  @Test
  void healthzIs503WithReasonsUntilEveryServiceApplied() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<String> problems = new ArrayList<>(List.of("service rsync-ssh: nothing applied yet"));
    StatusServer server = new StatusServer(vertx, new StatusConfig("127.0.0.1", 0),
        StatusSource.of(StatusDocument::empty), () -> List.copyOf(problems), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    try {
      int port = server.start().toCompletionStage().toCompletableFuture().get();
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest healthz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build();
      HttpResponse<String> failing = http.send(healthz, HttpResponse.BodyHandlers.ofString());
      assertEquals(503, failing.statusCode());
      assertEquals("failing", new JsonObject(failing.body()).getString("status"));
      assertEquals(List.of("service rsync-ssh: nothing applied yet"), new JsonObject(failing.body()).getJsonArray("problems").getList());

      problems.clear();
      HttpResponse<String> ok = http.send(healthz, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode());
      assertEquals("application/json", ok.headers().firstValue("Content-Type").orElse(""));

      HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/nope")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, unknown.statusCode());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
