package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.status.StatusServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * HAProxy's Runtime API path, measured with a real HAProxy on loopback: (1) from the agent's own
 * health event (what /events shows) to {@code show servers state} showing the change, over pod
 * flaps; (2) consecutive changes (pod moves, a node added and removed by a config re-read) while
 * long connections stay open to a node that stays healthy: reloads, worker changes and dropped
 * long connections. Prints figures; asserts nothing. Run with bench/runtime-api.sh.
 */
public final class RuntimeApiBenchmark {
  private RuntimeApiBenchmark() {}

  public static void main(String[] args) throws Exception {
    int flaps = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int changes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    Path dir = Files.createTempDirectory("lb-health-agent-bench");
    Vertx vertx = Vertx.vertx();
    try (SeedScenario seed = new SeedScenario(vertx, dir, Kind.HAPROXY, SeedScenario.freePort(), SeedScenario.freePort())) {
      HaproxyProcess haproxy = (HaproxyProcess) seed.lb();
      PretendPod kepler = new PretendPod(vertx, "kepler", "127.0.0.5", seed.hostPort());
      for (String node : SeedScenario.NODES.keySet()) {
        Bench.await(seed.pod(node).start());
      }
      Bench.await(kepler.start());
      seed.writeUnmanagedBackend();
      haproxy.start();
      // Damping off: the benchmark flaps a pod on purpose, and damping would hold it out.
      String three = seed.agentConfigYaml("no-nodes").replace("      jitter: 0.1\n", "      jitter: 0.1\n      damping: off\n");
      String four = three.replace("      - { name: newton,     address: 127.0.0.4 }\n",
          "      - { name: newton,     address: 127.0.0.4 }\n      - { name: kepler,     address: 127.0.0.5 }\n");
      Path config = dir.resolve("agent.yaml");
      Files.writeString(config, three);
      BlockingQueue<long[]> healthEvents = new LinkedBlockingQueue<>();
      List<double[]> applies = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<double[]> fileWrites = new java.util.concurrent.CopyOnWriteArrayList<>();
      vertx.eventBus().<JsonObject>localConsumer(StatusServer.EVENTS, m -> {
        String type = m.body().getString("type");
        if ("health".equals(type)) {
          healthEvents.add(new long[] {System.nanoTime()});
        } else if ("apply".equals(type)) {
          JsonObject last = m.body().getJsonObject("service").getJsonObject("lastApply");
          if ("runtime-api".equals(last.getString("method"))) {
            applies.add(new double[] {last.getDouble("sinceDecisionMs"), last.getDouble("durationMs")});
          }
        } else if ("file".equals(type)) {
          fileWrites.add(new double[] {m.body().getJsonObject("file").getDouble("durationMs")});
        }
      });
      Agent agent = new Agent(dev.lbhealth.agent.config.ConfigLoader.load(config), dev.lbhealth.agent.systemd.SystemdNotifier.fromEnvironment(java.util.Map.of()),
          dev.lbhealth.agent.status.AgentMetrics.prometheus(), ApplyHelperProcess.control(config, dir));
      agent.followEvents(); // the listener above reads the service in apply events
      Bench.await(vertx.deployVerticle(agent));
      Bench.waitUntil(() -> agent.firstApplyDone() && haproxy.workerPids().size() == 1, 10_000);
      System.out.printf("Runtime API benchmark: HAProxy %s, %d flaps, %d changes%n%n",
          haproxy.runtime("show info").lines().filter(l -> l.startsWith("Version:")).findFirst().orElse("?"), flaps, changes);

      // (1) health event -> live state, after as many unmeasured flaps to warm up the JIT
      long[] toLive = new long[2 * flaps];
      PretendPod galileo = seed.pod("galileo");
      for (int i = -flaps; i < flaps; i++) {
        healthEvents.clear();
        Bench.await(galileo.stop());
        long out = untilShown(healthEvents, haproxy, "galileo", "maint");
        Bench.await(galileo.start());
        long in = untilShown(healthEvents, haproxy, "galileo", "ready");
        if (i >= 0) {
          toLive[2 * i] = out;
          toLive[2 * i + 1] = in;
        } else if (i == -1) {
          applies.clear();
          fileWrites.clear();
        }
      }
      System.out.printf("health event -> 'show servers state' shows it: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d changes)%n",
          Bench.pct(toLive, 50), Bench.pct(toLive, 99), Bench.pct(toLive, 100), toLive.length);
      System.out.printf("  the agent's own timing: decision -> live (read, commands, read-back) p50 %.2f ms, p99 %.2f ms;"
          + " writer alone p99 %.2f ms%n", pctMs(applies, 0, 50), pctMs(applies, 0, 99), pctMs(applies, 1, 99));
      System.out.printf("  file brought in line afterwards (haproxy -c, atomic write), off the hot path: p50 %.1f ms, p99 %.1f ms (%d writes)%n",
          pctMs(fileWrites, 0, 50), pctMs(fileWrites, 0, 99), fileWrites.size());

      // (2) consecutive changes with long connections to newton, which stays healthy
      Bench.await(seed.pod("copernicus").stop());
      Bench.await(galileo.stop());
      Bench.waitUntil(() -> inRotation(haproxy).equals(List.of("newton")), 10_000);
      List<Long> workers = haproxy.workerPids();
      int reloads = haproxy.reloads();
      List<LbSession> longConnections = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        longConnections.add(new LbSession(haproxy.frontendPort()));
      }
      int moves = 0;
      int adds = 0;
      int removes = 0;
      long start = System.nanoTime();
      for (int c = 0; c < changes; c++) {
        switch (c % 4) {
          case 0 -> { // a pod comes up on copernicus: in rotation
            Bench.await(seed.pod("copernicus").start());
            Bench.waitUntil(() -> inRotation(haproxy).contains("copernicus"), 10_000);
            moves++;
          }
          case 1 -> { // kepler joins (config re-read): added live, then ready on its first probe
            Files.writeString(config, four);
            agent.reloadConfig(config);
            Bench.waitUntil(() -> inRotation(haproxy).contains("kepler"), 10_000);
            adds++;
          }
          case 2 -> { // the pod leaves copernicus: out of rotation
            Bench.await(seed.pod("copernicus").stop());
            Bench.waitUntil(() -> !inRotation(haproxy).contains("copernicus"), 10_000);
            moves++;
          }
          default -> { // kepler leaves: drained, then deleted
            Files.writeString(config, three);
            agent.reloadConfig(config);
            Bench.waitUntil(() -> haproxy.servers().stream().noneMatch(s -> s.startsWith("kepler ")), 10_000);
            removes++;
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      int alive = 0;
      for (LbSession lc : longConnections) {
        alive += "newton".equals(lc.node()) ? 1 : 0;
        lc.close();
      }
      System.out.printf("%d consecutive changes (%d pod moves, %d nodes added, %d removed) in %.1f s:%n",
          changes, moves, adds, removes, seconds);
      System.out.printf("  reloads %d, worker processes %s -> %s, long connections still open %d of %d%n",
          haproxy.reloads() - reloads, workers, haproxy.workerPids(), alive, longConnections.size());
      Bench.await(vertx.undeploy(agent.deploymentID()));
      Bench.await(kepler.stop());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** From the next health event to HAProxy showing the node in the state, polled over the socket. */
  private static long untilShown(BlockingQueue<long[]> events, HaproxyProcess haproxy, String node, String state)
      throws Exception {
    long[] event = events.poll(10, TimeUnit.SECONDS);
    if (event == null) {
      throw new IllegalStateException("no health event within 10 s");
    }
    String wanted = node + " ";
    Bench.waitUntil(() -> haproxy.servers().stream().anyMatch(s -> s.startsWith(wanted) && s.endsWith(" " + state)), 10_000);
    return System.nanoTime() - event[0];
  }

  private static List<String> inRotation(HaproxyProcess haproxy) throws Exception {
    return haproxy.servers().stream().filter(s -> s.endsWith(" ready")).map(s -> s.substring(0, s.indexOf(' '))).toList();
  }





  private static double pctMs(List<double[]> rows, int column, int p) {
    long[] nanos = rows.stream().mapToLong(r -> Math.round(r[column] * 1e6)).toArray();
    return nanos.length == 0 ? Double.NaN : Bench.pct(nanos, p);
  }

}
