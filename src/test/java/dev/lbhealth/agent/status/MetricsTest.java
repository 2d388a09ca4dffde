package dev.lbhealth.agent.status;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics scraped and parsed as Prometheus would, while a node goes down. */
class MetricsTest {
  @TempDir Path dir;

  /** Prometheus text format: {@code name{labels} value}, comments skipped. */
  static Map<String, Double> parse(String text) {
    Map<String, Double> series = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return series;
  }

  @Test
  void seriesFollowANodeGoingDown() throws Exception {
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
            probe: { type: banner, expect: "SSH-2.0-", interval: 100ms, timeout: 80ms, rise: 1, fall: 2 }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
            lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "true" }
        """.formatted(port, dir), "test"));
    vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.statusPort() + "/metrics")).build();
    String copernicusTags = "node=\"copernicus\",service=\"rsync-ssh\"";
    try {
      await().atMost(Duration.ofSeconds(10)).until(() ->
          parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body())
              .getOrDefault("lb_agent_target_in_rotation{" + copernicusTags + "}", 0.0) == 1.0);
      HttpResponse<String> first = http.send(scrape, HttpResponse.BodyHandlers.ofString());
      assertEquals("text/plain; version=0.0.4; charset=utf-8", first.headers().firstValue("Content-Type").orElse(""));
      Map<String, Double> before = parse(first.body());
      assertEquals(1.0, before.get("lb_agent_target_health{" + copernicusTags + "}"));
      assertEquals(0.0, before.get("lb_agent_target_health{node=\"galileo\",service=\"rsync-ssh\"}"));
      assertEquals(1.0, before.get("lb_agent_applies_total{method=\"reload\",outcome=\"applied\",service=\"rsync-ssh\"}"));
      assertTrue(before.get("lb_agent_probe_duration_seconds_count{outcome=\"up\",service=\"rsync-ssh\"}") >= 1);
      assertTrue(before.containsKey("lb_agent_probe_duration_seconds_bucket{outcome=\"up\",service=\"rsync-ssh\",le=\"0.001\"}"));
      assertTrue(before.containsKey("lb_agent_event_loop_delay_seconds"));
      assertTrue(before.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{")));
      double upProbes = before.get("lb_agent_probes_total{node=\"copernicus\",outcome=\"up\",service=\"rsync-ssh\"}");

      copernicus.stop().toCompletionStage().toCompletableFuture().get();
      await().atMost(Duration.ofSeconds(5)).until(() ->
          parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body())
              .getOrDefault("lb_agent_target_health{" + copernicusTags + "}", 1.0) == 0.0);
      Map<String, Double> after = parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(1.0, after.get("lb_agent_health_transitions_total{" + copernicusTags + ",to=\"down\"}"));
      assertTrue(after.get("lb_agent_probes_total{node=\"copernicus\",outcome=\"down\",service=\"rsync-ssh\"}") >= 2);
      assertTrue(after.get("lb_agent_probes_total{node=\"copernicus\",outcome=\"up\",service=\"rsync-ssh\"}") >= upProbes);
      await().atMost(Duration.ofSeconds(5)).until(() ->
          parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body())
              .getOrDefault("lb_agent_target_in_rotation{" + copernicusTags + "}", 0.0) == 1.0
          && parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body())
              .getOrDefault("lb_agent_applies_total{method=\"reload\",outcome=\"applied\",service=\"rsync-ssh\"}", 0.0) == 2.0);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
