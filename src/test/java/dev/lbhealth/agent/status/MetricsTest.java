package dev.lbhealth.agent.status;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
    LiveAgent live = new LiveAgent(dir, 2, "copernicus");
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest scrape = HttpRequest.newBuilder(URI.create(live.url("/metrics"))).build();
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

      live.stopPod("copernicus");
      await().atMost(Duration.ofSeconds(5)).until(() ->
          parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body())
              .getOrDefault("lb_agent_target_health{" + copernicusTags + "}", 1.0) == 0.0);
      Map<String, Double> after = parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(1.0, after.get("lb_agent_health_transitions_total{" + copernicusTags + ",to=\"down\"}"));
      assertTrue(after.get("lb_agent_probes_total{node=\"copernicus\",outcome=\"down\",service=\"rsync-ssh\"}") >= 2);
      assertTrue(after.get("lb_agent_probes_total{node=\"copernicus\",outcome=\"up\",service=\"rsync-ssh\"}") >= upProbes);
      // The service's duration histograms: copernicus' failed probes are among the down ones, and
      // every probe is in the +Inf bucket, the quick ones in the first buckets too.
      String down = "{outcome=\"down\",service=\"rsync-ssh\"";
      assertTrue(after.get("lb_agent_probe_duration_seconds_count" + down + "}") >= 2, after.toString());
      assertEquals(after.get("lb_agent_probe_duration_seconds_count" + down + "}"),
          after.get("lb_agent_probe_duration_seconds_bucket" + down + ",le=\"+Inf\"}"));
      String up = "{outcome=\"up\",service=\"rsync-ssh\"";
      assertTrue(after.get("lb_agent_probe_duration_seconds_sum" + up + "}") > 0);
      assertTrue(after.get("lb_agent_probe_duration_seconds_bucket" + up + ",le=\"1.0\"}")
          >= after.get("lb_agent_probe_duration_seconds_bucket" + up + ",le=\"0.001\"}"));
      await().atMost(Duration.ofSeconds(5)).until(() ->
          parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body())
              .getOrDefault("lb_agent_target_in_rotation{" + copernicusTags + "}", 0.0) == 1.0
          && parse(http.send(scrape, HttpResponse.BodyHandlers.ofString()).body())
              .getOrDefault("lb_agent_applies_total{method=\"reload\",outcome=\"applied\",service=\"rsync-ssh\"}", 0.0) == 2.0);
    } finally {
      live.close();
    }
  }
}
