package dev.lbhealth.agent.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The agent at scale, as a new user would run it: one service with N nodes, all healthy (each a
 * listener on its own loopback address 127.1.x.y that accepts and closes), a tcp probe every
 * second, the agent in a process of its own with the JVM options of the shipped unit. For each
 * size, after a warm-up: probes done per second, probes that failed (every node is healthy, so
 * each failure is false), nodes reported down, connections the nodes' applications accepted (a
 * half-open tcp probe, like HAProxy's check, reaches none), GC pause, CPU and RSS of the agent's
 * process, and how long /status and /metrics take. Prints figures; asserts nothing. Run with bench/scale.sh.
 */
public final class ScaleBenchmark {
  private ScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "1000,3000,5000,10000").split(",")) {
      sizes.add(Integer.parseInt(s));
    }
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    System.out.printf("%8s %10s %14s %10s %12s %12s %14s %8s %10s %10s%n", "targets", "probes/s", "false fails/s", "nodes down",
        "accepted/s", "GC pause s", "CPU % usr+sys", "RSS MB", "/status s", "/metrics s");
    for (int n : sizes) {
      System.out.println(run(n, seconds));
    }
    System.out.printf("%nHAProxy 2.6 doing the same checks (tcp check, inter 1s) against the same listeners:%n");
    System.out.printf("%8s %10s %12s %14s %8s%n", "targets", "checks/s", "accepted/s", "CPU % usr+sys", "RSS MB");
    for (int n : sizes) {
      System.out.println(haproxy(n, seconds));
    }
  }

  /** HAProxy with one backend of N servers, each checked every second: its CPU and RSS. */
  private static String haproxy(int targets, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("lb-health-agent-scale-haproxy");
    Vertx pods = Vertx.vertx();
    Process haproxy = null;
    try {
      int port = SeedScenario.freePort();
      List<Future<?>> listening = new ArrayList<>();
      StringBuilder cfg = new StringBuilder("global\n    maxconn 4000\n    stats socket " + dir.resolve("admin.sock") + " level admin\n"
          + "defaults\n    mode tcp\n    timeout connect 500ms\n    timeout check 500ms\n    timeout client 5s\n    timeout server 5s\n"
          + "backend big\n    balance roundrobin\n    default-server check inter 1s\n");
      for (int i = 0; i < targets; i++) {
        String address = AgentProcess.address(i);
        listening.add(AgentProcess.listen(pods, address, port));
        cfg.append("    server n").append(i).append(' ').append(address).append(':').append(port).append('\n');
      }
      Future.all(listening).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      Path config = Files.writeString(dir.resolve("haproxy.cfg"), cfg);
      haproxy = new ProcessBuilder("haproxy", "-db", "-f", config.toString()).redirectErrorStream(true)
          .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
      Bench.pause(10_000); // every server checked a few times
      long[] cpuBefore = AgentProcess.cpuSplit(haproxy.pid());
      long acceptedBefore = AgentProcess.ACCEPTED.get();
      long start = System.nanoTime();
      Bench.pause(seconds * 1000L);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long[] cpuAfter = AgentProcess.cpuSplit(haproxy.pid());
      double accepted = (AgentProcess.ACCEPTED.get() - acceptedBefore) / elapsed;
      return String.format(Locale.ROOT, "%8d %10d %12.0f %14s %8.0f", targets, targets, accepted, cpu(cpuBefore, cpuAfter, elapsed),
          AgentProcess.rssMb(haproxy.pid()));
    } finally {
      if (haproxy != null) {
        haproxy.destroy();
        haproxy.waitFor(10, TimeUnit.SECONDS);
      }
      pods.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private static String run(int targets, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("lb-health-agent-scale");
    Vertx pods = Vertx.vertx();
    Process agent = null;
    try {
      int port = SeedScenario.freePort();
      int statusPort = SeedScenario.freePort();
      List<Future<?>> listening = new ArrayList<>();
      StringBuilder yaml = new StringBuilder("status: { port: " + statusPort + " }\nservices:\n  - name: big\n    port: " + port
          + "\n    probe: { type: tcp, interval: 1s, timeout: 500ms }\n    nodes:\n");
      for (int i = 0; i < targets; i++) {
        String address = AgentProcess.address(i);
        listening.add(AgentProcess.listen(pods, address, port));
        yaml.append("      - { name: n").append(i).append(", address: ").append(address).append(" }\n");
      }
      yaml.append("    lb: { file: ").append(dir.resolve("big.cfg")).append(", validate: \"true\", reload: \"true\" }\n");
      Future.all(listening).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      Path config = Files.writeString(dir.resolve("agent.yaml"), yaml);

      agent = AgentProcess.run(config, dir.resolve("agent.log"));
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String base = "http://127.0.0.1:" + statusPort;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (timed(http, base + "/healthz") < 0) {
        if (System.nanoTime() > deadline || !agent.isAlive()) {
          return String.format(Locale.ROOT, "%8d  did not become healthy within 60 s: %s", targets, Files.readString(dir.resolve("agent.log")));
        }
        Bench.pause(200);
      }
      Bench.pause(10_000); // warm-up: the JIT, and every node past its first probe

      double[] before = metrics(http, base);
      long acceptedBefore = AgentProcess.ACCEPTED.get();
      long[] cpuBefore = AgentProcess.cpuSplit(agent.pid());
      long start = System.nanoTime();
      Bench.pause(seconds * 1000L);
      double elapsed = (System.nanoTime() - start) / 1e9;
      double[] after = metrics(http, base);
      long[] cpuAfter = AgentProcess.cpuSplit(agent.pid());
      double accepted = (AgentProcess.ACCEPTED.get() - acceptedBefore) / elapsed;

      double statusSeconds = timed(http, base + "/status");
      double metricsSeconds = timed(http, base + "/metrics");
      int down = 0;
      String status = get(http, base + "/status");
      if (status != null) {
        JsonArray services = new JsonObject(status).getJsonArray("services");
        for (Object node : services.getJsonObject(0).getJsonArray("nodes")) {
          if ("down".equals(((JsonObject) node).getString("health"))) {
            down++;
          }
        }
      }
      return String.format(Locale.ROOT, "%8d %10.0f %14.1f %10d %12.0f %12.2f %14s %8.0f %10.3f %10.3f", targets,
          (after[0] + after[1] - before[0] - before[1]) / elapsed, (after[1] - before[1]) / elapsed, down, accepted,
          after[2] - before[2], cpu(cpuBefore, cpuAfter, elapsed), AgentProcess.rssMb(agent.pid()), statusSeconds, metricsSeconds);
    } finally {
      if (agent != null) {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
        agent.destroyForcibly();
      }
      pods.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** CPU use between two readings, in % of one core: total (user + system). */
  private static String cpu(long[] before, long[] after, double seconds) {
    double user = (after[0] - before[0]) / seconds;
    double system = (after[1] - before[1]) / seconds;
    return String.format(Locale.ROOT, "%.0f (%.0f+%.0f)", user + system, user, system);
  }

  /** Probes up, probes down (all false: every node is healthy), GC pause seconds, from /metrics. */
  private static double[] metrics(HttpClient http, String base) throws Exception {
    String text = get(http, base + "/metrics");
    double[] sums = new double[3];
    if (text == null) {
      return sums;
    }
    for (String line : text.split("\n")) {
      if (line.startsWith("lb_agent_probes_total{")) {
        sums[line.contains("outcome=\"down\"") ? 1 : 0] += value(line);
      } else if (line.startsWith("jvm_gc_pause_seconds_sum{")) {
        sums[2] += value(line);
      }
    }
    return sums;
  }

  private static double value(String line) {
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  /**
   * The body of a GET, or null. Tried twice: the measuring window is as long as the listener's
   * 30 s idle timeout, so the pooled connection may be closed just as the next GET goes out.
   */
  private static String get(HttpClient http, String url) {
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? r.body() : null;
      } catch (java.io.IOException e) {
        // the connection went away under us: once more, on a new one
      } catch (Exception e) {
        return null;
      }
    }
    return null;
  }

  /** Seconds one GET took, or -1 when it failed. */
  private static double timed(HttpClient http, String url) {
    long start = System.nanoTime();
    return get(http, url) == null ? -1 : (System.nanoTime() - start) / 1e9;
  }
}
