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
 * process, and how long /status and /metrics take; and beside it, HAProxy 2.6 checking the same
 * listeners in the same window, its CPU and RSS, and the ratio of the two CPUs. Prints figures;
 * asserts nothing. Run with bench/scale.sh.
 */
public final class ScaleBenchmark {
  private ScaleBenchmark() {}

  /**
   * Warm-up before the window: every node past its first probe, and the JIT's compiles done (10 s
   * after start, C2 still took 0.5% of a core; a daemon's steady state is what is compared).
   */
  private static final long WARM_UP_MS = 20_000;

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "1000,3000,5000,10000").split(",")) {
      sizes.add(Integer.parseInt(s));
    }
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    System.out.printf("%8s %10s %14s %10s %12s %12s %18s %8s %10s %10s%n", "targets", "probes/s", "false fails/s", "nodes down",
        "accepted/s", "GC pause s", "CPU % usr+sys", "RSS MB", "/status s", "/metrics s");
    List<String> haproxy = new ArrayList<>();
    for (int n : sizes) {
      String[] lines = run(n, seconds);
      System.out.println(lines[0]);
      haproxy.add(lines[1]);
    }
    System.out.printf("%nHAProxy 2.6 doing the same checks (tcp check, inter 1s) against the same listeners, in the same window:%n");
    System.out.printf("%8s %10s %18s %8s %10s%n", "targets", "checks/s", "CPU % usr+sys", "RSS MB", "CPU ratio");
    haproxy.forEach(System.out::println);
  }

  /** HAProxy with one backend of N servers on the given listeners, each checked every second. */
  private static Process haproxy(Path dir, int targets, int port) throws Exception {
    StringBuilder cfg = new StringBuilder("global\n    maxconn 4000\n    stats socket " + dir.resolve("admin.sock") + " level admin\n"
        + "defaults\n    mode tcp\n    timeout connect 500ms\n    timeout check 500ms\n    timeout client 5s\n    timeout server 5s\n"
        + "backend big\n    balance roundrobin\n    default-server check inter 1s\n");
    for (int i = 0; i < targets; i++) {
      cfg.append("    server n").append(i).append(' ').append(AgentProcess.address(i)).append(':').append(port).append('\n');
    }
    Path config = Files.writeString(dir.resolve("haproxy.cfg"), cfg);
    return new ProcessBuilder("haproxy", "-db", "-f", config.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
  }

  /**
   * One size: the agent and HAProxy probe the same N listeners side by side, and both are measured
   * over the same window, so that what the machine does meanwhile (it is a shared VM) weighs on
   * both alike. Returns the agent's line and HAProxy's.
   */
  private static String[] run(int targets, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("lb-health-agent-scale");
    Vertx pods = Vertx.vertx();
    Process agent = null;
    Process haproxy = null;
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
          String failed = String.format(Locale.ROOT, "%8d  did not become healthy within 60 s: %s", targets, Files.readString(dir.resolve("agent.log")));
          return new String[] {failed, String.format(Locale.ROOT, "%8d  not measured", targets)};
        }
        Bench.pause(200);
      }
      haproxy = haproxy(dir, targets, port);
      Bench.pause(WARM_UP_MS);

      double[] before = metrics(http, base);
      long acceptedBefore = AgentProcess.ACCEPTED.get();
      long[] cpuBefore = AgentProcess.cpuSplit(agent.pid());
      long[] haproxyBefore = AgentProcess.cpuSplit(haproxy.pid());
      long start = System.nanoTime();
      Bench.pause(seconds * 1000L);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long[] cpuAfter = AgentProcess.cpuSplit(agent.pid());
      long[] haproxyAfter = AgentProcess.cpuSplit(haproxy.pid());
      double[] after = metrics(http, base);
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
      String agentLine = String.format(Locale.ROOT, "%8d %10.0f %14.1f %10d %12.0f %12.2f %18s %8.0f %10.3f %10.3f", targets,
          (after[0] + after[1] - before[0] - before[1]) / elapsed, (after[1] - before[1]) / elapsed, down, accepted,
          after[2] - before[2], cpu(cpuBefore, cpuAfter, elapsed), AgentProcess.rssMb(agent.pid()), statusSeconds, metricsSeconds);
      double ratio = (double) (cpuAfter[0] + cpuAfter[1] - cpuBefore[0] - cpuBefore[1])
          / Math.max(1, haproxyAfter[0] + haproxyAfter[1] - haproxyBefore[0] - haproxyBefore[1]);
      String haproxyLine = String.format(Locale.ROOT, "%8d %10d %18s %8.0f %9.2fx", targets, targets,
          cpu(haproxyBefore, haproxyAfter, elapsed), AgentProcess.rssMb(haproxy.pid()), ratio);
      return new String[] {agentLine, haproxyLine};
    } finally {
      for (Process p : new Process[] {agent, haproxy}) {
        if (p != null) {
          p.destroy();
          p.waitFor(20, TimeUnit.SECONDS);
          p.destroyForcibly();
        }
      }
      pods.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** CPU use between two readings, in % of one core: total (user + system). */
  private static String cpu(long[] before, long[] after, double seconds) {
    double user = (after[0] - before[0]) / seconds;
    double system = (after[1] - before[1]) / seconds;
    return String.format(Locale.ROOT, "%.1f (%.1f+%.1f)", user + system, user, system);
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
