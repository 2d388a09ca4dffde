package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.LbConfig.Kind;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Measures the seed's scenario with a real HAProxy and nginx: steady-state connect+banner latency through
 * the LB, then pod moves with a gap (old pod stops, new one listens {@code gapMs} later): how
 * long until the LB sends the new pod traffic, how long until it takes the old one out, and how
 * many reloads a move costs. Prints figures; asserts nothing. Run with bench/pod-move.sh.
 */
public final class PodMoveBenchmark {
  private PodMoveBenchmark() {}

  public static void main(String[] args) throws Exception {
    int moves = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int gapMs = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    int steady = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    List<Kind> kinds = args.length > 3 ? List.of(Kind.valueOf(args[3].toUpperCase())) : List.of(Kind.HAPROXY, Kind.NGINX);
    System.out.printf("pod-move benchmark: %d moves per run, gap %d ms, %d steady-state connections%n%n", moves, gapMs, steady);
    for (Kind kind : kinds) {
      for (String policy : List.of("no-nodes", "all-nodes", "last-set")) {
        run(kind, policy, moves, gapMs, steady);
      }
    }
  }

  private static void run(Kind kind, String policy, int moves, int gapMs, int steady) throws Exception {
    Path dir = Files.createTempDirectory("lb-health-agent-bench");
    Vertx vertx = Vertx.vertx();
    try (SeedScenario seed = new SeedScenario(vertx, dir, kind, SeedScenario.freePort(), SeedScenario.freePort())) {
      List<String> nodes = new ArrayList<>(SeedScenario.NODES.keySet());
      Bench.await(seed.pod(nodes.get(0)).start());
      seed.writeUnmanagedBackend();
      seed.lb().start();
      Path config = Files.writeString(dir.resolve("agent.yaml"), seed.agentConfigYaml(policy));
      Agent agent = new Agent(seed.agentConfig(policy), dev.lbhealth.agent.systemd.SystemdNotifier.fromEnvironment(java.util.Map.of()),
          dev.lbhealth.agent.status.AgentMetrics.prometheus(), ApplyHelperProcess.control(config, dir));
      Bench.await(vertx.deployVerticle(agent));
      LbProcess lb = seed.lb();
      Bench.waitUntil(() -> lb.inRotation().equals(List.of(nodes.get(0))), 10_000);

      LbClient client = seed.client();
      for (int i = 0; i < 3000; i++) {
        client.connect(); // warm up the JIT on both sides before measuring
      }
      long[] connect = new long[steady];
      int ok = 0;
      for (int i = 0; i < steady; i++) {
        LbClient.Attempt a = client.connect();
        connect[i] = a.nanos();
        ok += a.ok() ? 1 : 0;
      }
      System.out.printf("%s, when-empty %s%n  steady state: %d/%d connections ok; connect+banner+reply p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          kind.name().toLowerCase(), policy, ok, steady, Bench.pct(connect, 50), Bench.pct(connect, 99), Bench.pct(connect, 100));

      long[] toTraffic = new long[moves];
      long[] toOut = new long[moves];
      long[] lastFailure = new long[moves];
      int reloadsBefore = lb.reloads();
      NetClient hammerClient = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2000).setIdleTimeout(3));
      for (int m = 0; m < moves; m++) {
        // Pod moves are minutes apart in life; 3 s apart here lets the reload budget
        // (lb.min-reload-interval: two at once, then one a second) refill between moves.
        Bench.pause(3000);
        PretendPod old = seed.pod(nodes.get(m % 3));
        PretendPod next = seed.pod(nodes.get((m + 1) % 3));
        // Clients keep coming, a new connection every 2 ms, each on its own: one that HAProxy
        // holds while it retries a dead node must not delay the next one.
        long hammer = vertx.setPeriodic(2, id -> hammerOnce(hammerClient, seed));
        // And a client as the operator saw it: one every 50 ms, each noting whether it got
        // the pod's banner, so that the last failure after the new pod listened can be read off.
        List<long[]> attempts = java.util.Collections.synchronizedList(new ArrayList<>());
        long watcher = vertx.setPeriodic(50, id -> recordOnce(hammerClient, seed, attempts));
        Bench.await(old.stop());
        long closed = System.nanoTime();
        Thread.sleep(gapMs);
        Bench.await(next.start());
        long listening = next.listeningSinceNanos();
        Bench.waitUntil(() -> next.firstClientDataNanos() != 0, 10_000);
        toTraffic[m] = next.firstClientDataNanos() - listening;
        Bench.waitUntil(() -> lb.inRotation().equals(List.of(next.node())), 10_000);
        toOut[m] = System.nanoTime() - closed;
        Bench.pause(500); // the watcher's last attempts settle: through the LB each takes a few ms
        vertx.cancelTimer(hammer);
        vertx.cancelTimer(watcher);
        synchronized (attempts) {
          lastFailure[m] = Math.max(0, attempts.stream().filter(a -> a[1] == 0).mapToLong(a -> a[0] - listening).max().orElse(0));
        }
      }
      double reloadsPerMove = (lb.reloads() - reloadsBefore) / (double) moves;
      System.out.printf("  new pod listening -> the LB sends it traffic: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          Bench.pct(toTraffic, 50), Bench.pct(toTraffic, 99), Bench.pct(toTraffic, 100));
      System.out.printf("  old pod closed -> the LB's set is the new pod only: p50 %.1f ms, p99 %.1f ms (includes the %d ms gap)%n",
          Bench.pct(toOut, 50), Bench.pct(toOut, 99), gapMs);
      System.out.printf("  new pod listening -> last failed connection (a client every 50 ms; 0 when none failed after): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          Bench.pct(lastFailure, 50), Bench.pct(lastFailure, 99), Bench.pct(lastFailure, 100));
      System.out.printf("  reloads per move: %.1f%n%n", reloadsPerMove);
      Bench.await(vertx.undeploy(agent.deploymentID()));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * One client connection that notes {start nanos, 1 if it got the pod's banner else 0}. An
   * attempt still waiting for the banner when the move ends is not counted.
   */
  private static void recordOnce(NetClient client, SeedScenario seed, List<long[]> attempts) {
    long start = System.nanoTime();
    client.connect(seed.lb().frontendPort(), "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        attempts.add(new long[] {start, 0});
        return;
      }
      boolean[] settled = {false};
      ar.result().handler(data -> {
        if (!settled[0]) {
          settled[0] = true;
          attempts.add(new long[] {start, data.toString().startsWith("SSH-2.0-") ? 1 : 0});
        }
        ar.result().close();
      });
      ar.result().closeHandler(v -> {
        if (!settled[0]) {
          settled[0] = true;
          attempts.add(new long[] {start, 0});
        }
      });
    });
  }

  /** One client connection: reads the banner, says hello (so the pod sees a proxied client), closes. */
  private static void hammerOnce(NetClient client, SeedScenario seed) {
    client.connect(seed.lb().frontendPort(), "127.0.0.1").onSuccess(socket -> socket.exceptionHandler(e -> socket.close()).handler(data -> {
      if (data.toString().startsWith("SSH-2.0-")) {
        socket.write("SSH-2.0-bench\r\n");
      } else {
        socket.close();
      }
    }));
  }




}
