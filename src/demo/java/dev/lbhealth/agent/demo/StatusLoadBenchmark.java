package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.ConfigLoader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load on /status and /metrics (wrk, another process) while the agent probes 1,000 targets (10
 * services x 100 pretend pods on 127.1.S.N): requests per second and latency, and probe latency
 * under the load and in a quiet phase just before it. Prints figures; asserts nothing. Run with
 * bench/status-load.sh.
 */
public final class StatusLoadBenchmark {
  private static final int SERVICES = 10;
  private static final int NODES = 100;

  private StatusLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    // With a pause, every connection waits that long before each request: the rate stays near
    // connections x 1000 / (pause + latency) instead of as fast as the CPU allows.
    Path pace = args.length > 2 ? Files.writeString(Files.createTempFile("pace", ".lua"),
        "function delay()\n  return " + Integer.parseInt(args[2]) + "\nend\n") : null;
    Path dir = Files.createTempDirectory("lb-health-agent-load");
    Vertx vertx = Vertx.vertx();
    // The pods stand for other machines: event loops of their own, not shared with the agent's.
    Vertx podVertx = Vertx.vertx();
    try {
      int port = SeedScenario.freePort();
      List<Future<Void>> pods = new ArrayList<>();
      StringBuilder yaml = new StringBuilder("status: { port: 0 }\nservices:\n");
      for (int s = 0; s < SERVICES; s++) {
        Files.createDirectories(dir.resolve("lb"));
        yaml.append("  - name: svc").append(s).append("\n    port: ").append(port)
            .append("\n    probe: { type: banner, expect: \"SSH-2.0-\", interval: 1s, timeout: 500ms }\n    nodes:\n");
        for (int n = 1; n <= NODES; n++) {
          String address = "127.1." + s + "." + n;
          pods.add(new PretendPod(podVertx, "node" + n, address, port).start());
          yaml.append("      - { name: node").append(n).append(", address: ").append(address).append(" }\n");
        }
        yaml.append("    lb: { file: ").append(dir.resolve("lb/svc" + s + ".cfg"))
            .append(", validate: \"true\", reload: \"true\" }\n");
      }
      Future.all(pods).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Agent agent = new Agent(ConfigLoader.parse(yaml.toString(), "load benchmark"));
      vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      String base = "http://127.0.0.1:" + agent.statusPort();
      HttpClient http = HttpClient.newHttpClient();
      waitHealthy(http, base);
      sampleProbes(http, base, 20, null); // warm up: the JIT, and every probe past its first
      System.out.printf("%d targets probed every 1s (banner); /status is %d bytes, /metrics %d bytes%n%n",
          SERVICES * NODES, get(http, base + "/status").length(), get(http, base + "/metrics").length());

      for (String path : List.of("/status", "/metrics")) {
        List<Double> quiet = sampleProbes(http, base, seconds, null);
        System.out.printf("probes, no load:          p50 %.2f ms, p99 %.2f ms (%d samples)%n", pct(quiet, 50), pct(quiet, 99), quiet.size());
        List<String> wrk = new ArrayList<>();
        // Like Prometheus, wrk asks for gzip.
        List<String> command = new ArrayList<>(List.of("wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--latency",
            "-H", "Accept-Encoding: gzip"));
        if (pace != null) {
          command.addAll(List.of("-s", pace.toString()));
        }
        command.add(base + path);
        List<Double> loaded = sampleProbes(http, base, seconds, () -> wrk.add(run(command)));
        System.out.printf("probes, load on %-8s p50 %.2f ms, p99 %.2f ms (%d samples)%n", path + ":", pct(loaded, 50), pct(loaded, 99), loaded.size());
        System.out.printf("  wrk -t1 -c%d %s: %s req/s, latency p50 %s, p99 %s%n", connections, path, find(wrk.get(0), "Requests/sec:\\s+(\\S+)"),
            find(wrk.get(0), "\\s50%\\s+(\\S+)"), find(wrk.get(0), "\\s99%\\s+(\\S+)"));
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      podVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Runtime.getRuntime().exec(new String[] {"rm", "-rf", dir.toString()}).waitFor();
    }
  }

  /** Samples every target's last probe latency once a second for the given time. */
  private static List<Double> sampleProbes(HttpClient http, String base, int seconds, Runnable load) throws Exception {
    Thread loader = null;
    if (load != null) {
      loader = new Thread(load);
      loader.start();
    }
    List<Double> latencies = new ArrayList<>();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      JsonObject status = new JsonObject(get(http, base + "/status"));
      for (Object s : status.getJsonArray("services")) {
        for (Object n : ((JsonObject) s).getJsonArray("nodes")) {
          JsonObject probe = ((JsonObject) n).getJsonObject("lastProbe");
          if (probe != null && probe.getBoolean("healthy")) {
            latencies.add(probe.getDouble("latencyMs"));
          }
        }
      }
      Thread.sleep(1000);
    }
    if (loader != null) {
      loader.join();
    }
    return latencies;
  }

  private static void waitHealthy(HttpClient http, String base) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() != 200) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("agent not healthy within 60 s");
      }
      Thread.sleep(200);
    }
  }

  private static String get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      return out;
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? m.group(1) : "?";
  }

  private static double pct(List<Double> values, int p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }
}
