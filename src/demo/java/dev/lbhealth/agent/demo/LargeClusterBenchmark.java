package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.demo.FakeCluster;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A large cluster through Kubernetes discovery: N nodes and N pods (one per node, on 127.1.x.y)
 * in fabric8's stand-in API server, the agent in a process of its own with the unit's JVM options
 * at the unit's log level (INFO), a real HAProxy with the Runtime API. Phases: every node and pod
 * created while the agent runs; settled, single pods flipped not Ready and back; every pod marked
 * terminating at once (a mass drain), then gone; every node deleted at once. Prints, for each
 * size: time to settle, the slowest apply and Runtime API use, reloads, a flip's apply time, the
 * agent's peak RSS, and its log's size and longest line. Asserts nothing. bench/large-cluster.sh.
 */
public final class LargeClusterBenchmark {
  private static final int FLIPS = 40;

  private LargeClusterBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = args.length == 0 ? List.of(2_000, 5_000) : Stream.of(args).map(Integer::parseInt).toList();
    System.out.println("Large cluster: N nodes and N pods (one per node), tcp probes every 1 s, HAProxy with the Runtime API");
    System.out.println("agent in its own JVM with the unit's options, log level INFO (the unit's)\n");
    for (int n : sizes) {
      run(n);
    }
  }

  private static void run(int n) throws Exception {
    Path dir = Files.createTempDirectory("lb-health-agent-large");
    Vertx pods = Vertx.vertx();
    Process agent = null;
    AtomicBoolean sampling = new AtomicBoolean(true);
    AtomicLong peakRssKb = new AtomicLong();
    try (FakeCluster cluster = new FakeCluster()) {
      int port = SeedScenario.freePort();
      int statusPort = SeedScenario.freePort();
      HaproxyProcess haproxy = new HaproxyProcess(dir.resolve("haproxy"), SeedScenario.freePort(), "big");
      haproxy.writeUnmanaged(Map.of(), port);
      haproxy.start();
      List<Future<?>> listening = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        listening.add(AgentProcess.listen(pods, AgentProcess.address(i), port));
      }
      Future.all(listening).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);

      String yaml = "status: { port: " + statusPort + " }\n" + cluster.agentYaml(dir) + "services:\n  - name: big\n    port: " + port
          + "\n    probe: { type: tcp, interval: 1s, timeout: 500ms }\n    when-empty: no-nodes\n"
          + "    kubernetes: { namespace: default, selector: \"name=" + FakeCluster.LABEL + "\" }\n"
          + haproxy.agentLbYaml().replace("      runtime-api: ", "      drain-timeout: 1h\n      runtime-api: ") + "\n";
      Path config = Files.writeString(dir.resolve("agent.yaml"), yaml);
      Path log = dir.resolve("agent.log");
      agent = AgentProcess.startLogging(log, "INFO", "-cp", System.getProperty("java.class.path"), "dev.lbhealth.agent.cli.Main",
          "run", "--config", config.toString());
      long pid = agent.pid();
      Thread sampler = new Thread(() -> {
        while (sampling.get()) {
          try {
            peakRssKb.accumulateAndGet(AgentProcess.rssKb(pid), Math::max);
            Bench.pause(100);
          } catch (Exception e) {
            return;
          }
        }
      }, "rss-sampler");
      sampler.setDaemon(true);
      sampler.start();
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String metrics = "http://127.0.0.1:" + statusPort + "/metrics";
      Bench.waitUntil(() -> get(http, metrics) != null, 60_000);

      // 1. The cluster comes up while the agent runs: N nodes, then N Ready pods.
      NamespacedKubernetesClient api = cluster.client();
      long createStart = System.nanoTime();
      for (int i = 0; i < n; i++) {
        api.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-" + i).endMetadata()
            .withNewStatus().addNewAddress().withType("InternalIP").withAddress(AgentProcess.address(i)).endAddress()
            .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build()).create();
      }
      for (int i = 0; i < n; i++) {
        cluster.readyPod("pod-" + i, "node-" + i, port);
      }
      long lastCreate = System.nanoTime();
      Bench.waitUntil(() -> haproxy.inRotation().size() == n, 300_000, 50_000_000);
      long settled = System.nanoTime();
      System.out.printf(Locale.ROOT, "%,d nodes and %,d pods created in %.1f s; all in HAProxy's rotation %.1f s after the last create%n",
          n, n, (lastCreate - createStart) / 1e9, (settled - lastCreate) / 1e9);
      report(http, metrics, "  coming up");

      // 2. Settled: one pod at a time not Ready, then Ready again; each a flip of one server.
      // HAProxy is watched through the one server's line (show stat ... SID), polled every
      // 0.5 ms: reading the whole backend that often would load the machine being measured.
      Bench.pause(3_000);
      Map<String, String> sids = new java.util.HashMap<>();
      for (String line : haproxy.runtime("show servers state big").split("\n")) {
        String[] f = line.split(" ");
        if (f.length > 4 && !line.startsWith("#")) {
          sids.put(f[3], f[2]);
        }
      }
      // The agent's own time for each flip is read from its log afterwards ("via runtime-api in
      // X ms"): asking its /metrics meanwhile would make it render 10,000 series per flip.
      long logBefore = Files.readAllLines(log).size();
      long[] flipLive = new long[FLIPS * 2];
      for (int f = 0; f < FLIPS; f++) {
        int i = (f * 7919) % n;
        String sid = sids.get("node-" + i);
        for (int half = 0; half < 2; half++) {
          boolean ready = half == 1;
          long t0 = System.nanoTime();
          cluster.ready("pod-" + i, ready);
          Bench.waitUntil(() -> {
            String[] lines = haproxy.runtime("show stat big 4 " + sid).split("\n");
            return lines.length > 1 && lines[1].contains(",MAINT,") != ready;
          }, 30_000, 500_000);
          flipLive[f * 2 + half] = System.nanoTime() - t0;
          Bench.pause(200); // one flip at a time, as pods change in a settled cluster
        }
      }
      Pattern applyLine = Pattern.compile("via runtime-api in ([0-9.]+) ms");
      long[] flipApply = Files.readAllLines(log).stream().skip(logBefore).map(applyLine::matcher).filter(Matcher::find)
          .mapToLong(m -> Math.round(Double.parseDouble(m.group(1)) * 1e6)).toArray();
      System.out.printf(Locale.ROOT, "  a flip (pod not Ready / Ready again), %d of them: the agent's apply p50 %.2f ms, p99 %.2f ms, max %.2f ms;"
          + " API update -> HAProxy shows it p50 %.1f ms, p99 %.1f ms%n", flipLive.length, Bench.pct(flipApply, 50),
          Bench.pct(flipApply, 99), Bench.pct(flipApply, 100), Bench.pct(flipLive, 50), Bench.pct(flipLive, 99));

      // 3. Every pod terminating at once (a mass drain), then gone.
      long t = System.nanoTime();
      for (int i = 0; i < n; i++) {
        cluster.terminate("pod-" + i);
      }
      Bench.waitUntil(() -> haproxy.servers().stream().filter(s -> s.endsWith(" drain")).count() == n, 300_000, 50_000_000);
      System.out.printf(Locale.ROOT, "  every pod terminating: all drained %.1f s after the first delete%n", (System.nanoTime() - t) / 1e9);
      t = System.nanoTime();
      for (int i = 0; i < n; i++) {
        cluster.gone("pod-" + i);
      }
      Bench.waitUntil(() -> haproxy.servers().stream().filter(s -> s.endsWith(" maint")).count() == n, 300_000, 50_000_000);
      System.out.printf(Locale.ROOT, "  every pod gone: all out %.1f s after the first%n", (System.nanoTime() - t) / 1e9);

      // 4. Every node deleted at once: every server leaves the backend.
      t = System.nanoTime();
      for (int i = 0; i < n; i++) {
        api.nodes().withName("node-" + i).delete();
      }
      Bench.waitUntil(() -> haproxy.servers().isEmpty(), 300_000, 50_000_000);
      System.out.printf(Locale.ROOT, "  every node deleted: every server gone from HAProxy %.1f s after the first delete%n",
          (System.nanoTime() - t) / 1e9);
      report(http, metrics, "  in all");

      sampling.set(false);
      Path kept = Path.of(System.getProperty("java.io.tmpdir"), "large-cluster-" + n + "-agent.log");
      Files.copy(log, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      List<String> lines = Files.readAllLines(log);
      int longest = lines.stream().mapToInt(String::length).max().orElse(0);
      long fallbacks = lines.stream().filter(l -> l.contains("falling back")).count();
      long restarts = lines.stream().filter(l -> l.contains("informers started afresh")).count();
      System.out.printf(Locale.ROOT, "  agent: peak RSS %.0f MB; log %,d bytes in %,d lines, the longest %,d characters;"
          + " Runtime API fallbacks %d; informers started afresh %d (log kept in %s)%n%n", peakRssKb.get() / 1024.0,
          Files.size(log), lines.size(), longest, fallbacks, restarts, kept);
    } finally {
      sampling.set(false);
      if (agent != null) {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
      }
      pods.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The applies so far by method, the slowest one in the recent window, and the reloads. */
  private static void report(HttpClient http, String metrics, String label) throws Exception {
    String text = get(http, metrics);
    System.out.printf(Locale.ROOT, "%s: applies by runtime-api %.0f, by reload %.0f; slowest recent apply %.0f ms%n", label,
        value(text, "lb_agent_applies_total\\{[^}]*method=\"runtime-api\"[^}]*outcome=\"applied\"[^}]*}"),
        value(text, "lb_agent_applies_total\\{[^}]*method=\"reload\"[^}]*}"),
        1000 * max(text, "lb_agent_apply_duration_seconds_max\\{[^}]*}"));
  }

  private static double value(String text, String series) {
    double sum = 0;
    Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }

  private static double max(String text, String series) {
    double max = 0;
    Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
    while (m.find()) {
      max = Math.max(max, Double.parseDouble(m.group(1)));
    }
    return max;
  }

  private static String get(HttpClient http, String url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (Exception e) {
      return null;
    }
  }
}
