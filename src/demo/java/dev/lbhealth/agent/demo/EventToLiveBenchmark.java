package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.config.LbConfig.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Runtime API path as an operator times it: the agent as {@code run} (a process of its own
 * with the unit's JVM options, native epoll), its {@code /events} read over HTTP, and HAProxy's
 * {@code show servers state} polled from here until it shows each change. Per change it also
 * splits the time: from the health event to the apply event (the agent's own work, as /events
 * carries it) and the agent's {@code sinceDecisionMs}. Prints figures; asserts nothing. Run with
 * bench/event-to-live.sh.
 */
public final class EventToLiveBenchmark {
  private EventToLiveBenchmark() {}

  public static void main(String[] args) throws Exception {
    int flaps = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    Path dir = Files.createTempDirectory("lb-health-agent-bench");
    Vertx vertx = Vertx.vertx();
    Process agent = null;
    try (SeedScenario seed = new SeedScenario(vertx, dir, Kind.HAPROXY, SeedScenario.freePort(), SeedScenario.freePort())) {
      HaproxyProcess haproxy = (HaproxyProcess) seed.lb();
      for (String node : SeedScenario.NODES.keySet()) {
        Bench.await(seed.pod(node).start());
      }
      seed.writeUnmanagedBackend();
      haproxy.start();
      int statusPort = SeedScenario.freePort();
      Path config = dir.resolve("agent.yaml");
      Files.writeString(config, seed.agentConfigYaml("no-nodes")
          .replace("  port: 0\n", "  port: " + statusPort + "\n")
          .replace("      jitter: 0.1\n", "      jitter: 0.1\n      damping: off\n")
          // -Dprobe.type=tcp: the half-open tcp probe instead of the demo's banner probe
          .replace("      type: banner\n      expect: \"SSH-2.0-\"\n", "      type: " + System.getProperty("probe.type", "banner") + "\n"
              + (System.getProperty("probe.type", "banner").equals("banner") ? "      expect: \"SSH-2.0-\"\n" : "")));
      agent = AgentProcess.run(config, dir.resolve("agent.log"));
      HttpClient http = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + statusPort);
      Bench.waitUntil(() -> {
        try {
          return http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (java.io.IOException e) {
          return false;
        }
      }, 20_000);

      BlockingQueue<long[]> health = new LinkedBlockingQueue<>();
      BlockingQueue<double[]> applies = new LinkedBlockingQueue<>();
      List<long[]> fileWrites = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread reader = new Thread(() -> readEvents(http, base, health, applies, fileWrites), "events");
      reader.setDaemon(true);
      reader.start();
      Bench.pause(500);

      long[] toLive = new long[2 * flaps];
      long[] toApplyEvent = new long[2 * flaps];
      long[] sinceDecision = new long[2 * flaps];
      long[][] spans = new long[2 * flaps][];
      PretendPod galileo = seed.pod("galileo");
      for (int i = -flaps / 2; i < flaps; i++) { // the first half-set unmeasured: the JIT warms up
        for (int half = 0; half < 2; half++) {
          health.clear();
          applies.clear();
          Bench.await(half == 0 ? galileo.stop() : galileo.start());
          long[] event = health.poll(10, TimeUnit.SECONDS);
          if (event == null) {
            throw new IllegalStateException("no health event within 10 s");
          }
          String want = half == 0 ? "maint" : "ready";
          Bench.waitUntil(() -> haproxy.servers().stream().anyMatch(s -> s.startsWith("galileo ") && s.endsWith(" " + want)), 10_000);
          long live = System.nanoTime() - event[0];
          double[] apply = applies.poll(10, TimeUnit.SECONDS);
          if (i >= 0) {
            toLive[2 * i + half] = live;
            toApplyEvent[2 * i + half] = apply == null ? 0 : (long) apply[0] - event[0];
            sinceDecision[2 * i + half] = apply == null ? 0 : Math.round(apply[1] * 1e6);
            spans[2 * i + half] = new long[] {event[0], event[0] + live};
          }
          Bench.pause(150);
        }
      }
      System.out.printf("agent as `run` (the unit's JVM options, native epoll), /events over HTTP, %d changes:%n", toLive.length);
      System.out.printf("  health event (HTTP) -> 'show servers state' shows it: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          Bench.pct(toLive, 50), Bench.pct(toLive, 90), Bench.pct(toLive, 99), Bench.pct(toLive, 100));
      System.out.printf("  health event -> apply event (HTTP): p50 %.2f ms, p99 %.2f ms; the agent's sinceDecisionMs p50 %.2f ms, p99 %.2f ms%n",
          Bench.pct(toApplyEvent, 50), Bench.pct(toApplyEvent, 99), Bench.pct(sinceDecision, 50), Bench.pct(sinceDecision, 99));
      // The file is brought in line on a worker (haproxy -c, atomic write) at most once a second:
      // a change made while that runs shares two cores with it.
      Bench.pause(1500);
      List<Long> during = new ArrayList<>();
      List<Long> apart = new ArrayList<>();
      for (int c = 0; c < spans.length; c++) {
        long[] span = spans[c];
        boolean overlaps = fileWrites.stream().anyMatch(w -> w[0] < span[1] && w[1] > span[0]);
        (overlaps ? during : apart).add(toLive[c]);
      }
      System.out.printf("  while a file write (haproxy -c) ran: %d changes%s; apart from one: %d changes%s%n",
          during.size(), figures(during), apart.size(), figures(apart));
    } finally {
      if (agent != null) {
        agent.destroy();
        agent.waitFor(15, TimeUnit.SECONDS);
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static String figures(List<Long> nanos) {
    long[] a = nanos.stream().mapToLong(Long::longValue).toArray();
    return a.length == 0 ? "" : String.format(", p50 %.2f ms, p99 %.2f ms, max %.2f ms", Bench.pct(a, 50), Bench.pct(a, 99), Bench.pct(a, 100));
  }

  /** Reads /events line by line: a health event's arrival time, and an apply's arrival time with its sinceDecisionMs. */
  private static void readEvents(HttpClient http, URI base, BlockingQueue<long[]> health, BlockingQueue<double[]> applies,
      List<long[]> fileWrites) {
    try {
      String[] type = {""};
      http.send(HttpRequest.newBuilder(base.resolve("/events")).build(), HttpResponse.BodyHandlers.ofLines()).body().forEach(line -> {
        long now = System.nanoTime();
        if (line.startsWith("event: ")) {
          type[0] = line.substring(7);
        } else if (line.startsWith("data: ") && type[0].equals("health")) {
          health.add(new long[] {now});
        } else if (line.startsWith("data: ") && type[0].equals("file")) {
          long took = Math.round(new JsonObject(line.substring(6)).getJsonObject("file").getDouble("durationMs") * 1e6);
          fileWrites.add(new long[] {now - took, now});
        } else if (line.startsWith("data: ") && type[0].equals("apply")) {
          JsonObject last = new JsonObject(line.substring(6)).getJsonObject("service").getJsonObject("lastApply");
          if ("runtime-api".equals(last.getString("method"))) {
            applies.add(new double[] {now, last.getDouble("sinceDecisionMs")});
          }
        }
      });
    } catch (Exception e) {
      System.err.println("events: " + e);
    }
  }
}
