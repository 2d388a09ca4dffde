package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.FakeCluster;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Kubernetes discovery measured with a real HAProxy and nginx on loopback and fabric8's stand-in
 * API server: rolling updates (new pod Ready, then the old one terminating) while a client
 * connects through the LB every 10 ms. For each move: Pod Ready -> the LB has the node in
 * rotation; deletionTimestamp -> the node drained in the live LB (HAProxy's {@code show servers
 * state}); failed client connections, with a preStop delay (the old pod serves 1 s more, then
 * accepts but serves nothing for 1 s) and, for HAProxy, the harsh case without one (the old pod
 * serves nothing from the instant it is marked terminating). Prints figures; asserts nothing.
 * Test scope, so the stand-in API server never reaches the shipped jar: bench/kubernetes.sh.
 */
public final class KubernetesBenchmark {
  private static final String NODES = "    nodes:\n"
      + "      - { name: copernicus, address: 127.0.0.2 }\n"
      + "      - { name: galileo,    address: 127.0.0.3 }\n"
      + "      - { name: newton,     address: 127.0.0.4 }\n";

  private KubernetesBenchmark() {}

  public static void main(String[] args) throws Exception {
    int moves = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    System.out.printf("Kubernetes rolling updates: %d moves per run, a client connection through the LB every 10 ms%n%n", moves);
    run(Kind.HAPROXY, moves, true);
    run(Kind.NGINX, moves, true);
    run(Kind.HAPROXY, moves, false);
  }

  private static void run(Kind kind, int moves, boolean preStop) throws Exception {
    Path dir = Files.createTempDirectory("lb-health-agent-bench");
    Vertx vertx = Vertx.vertx();
    List<String> nodes = List.of("copernicus", "galileo", "newton");
    try (FakeCluster cluster = new FakeCluster();
        SeedScenario seed = new SeedScenario(vertx, dir, kind, SeedScenario.freePort(), SeedScenario.freePort())) {
      for (String node : nodes) {
        cluster.node(node, SeedScenario.NODES.get(node));
      }
      cluster.pod("rsyncer-0", nodes.get(0), seed.hostPort());
      Bench.await(seed.pod(nodes.get(0)).start());
      cluster.ready("rsyncer-0", true);
      seed.writeUnmanagedBackend();
      seed.lb().start();
      String yaml = cluster.agentYaml(dir) + seed.agentConfigYaml("no-nodes").replace(NODES,
          "    kubernetes: { namespace: default, selector: \"name=" + FakeCluster.LABEL + "\" }\n")
          // A move every 2 s over three nodes changes each node's health four times in 6 s, which
          // flap damping rightly calls flapping; a real rolling update moves each node once.
          .replace("      jitter: 0.1\n", "      jitter: 0.1\n      damping: off\n");
      // The agent's own view: from seeing a pod terminate (its decision) to the drain being live.
      List<Double> seenToDrained = new java.util.concurrent.CopyOnWriteArrayList<>();
      vertx.eventBus().<io.vertx.core.json.JsonObject>localConsumer(dev.lbhealth.agent.status.StatusServer.EVENTS, msg -> {
        if (!"apply".equals(msg.body().getString("type"))) {
          return;
        }
        io.vertx.core.json.JsonObject service = msg.body().getJsonObject("service");
        if (service.getJsonObject("serverSet") != null
            && !service.getJsonObject("serverSet").getJsonArray("draining").isEmpty()) {
          seenToDrained.add(service.getJsonObject("lastApply").getDouble("sinceDecisionMs"));
        }
      });
      Agent agent = new Agent(ConfigLoader.parse(yaml, "benchmark"));
      agent.followEvents(); // the listener above reads the service in apply events
      Bench.await(vertx.deployVerticle(agent));
      LbProcess lb = seed.lb();
      Bench.waitUntil(() -> agent.firstApplyDone() && lb.inRotation().equals(List.of(nodes.get(0))), 15_000);
      LbClient client = seed.client();
      Bench.waitUntil(() -> nodes.get(0).equals(client.connect().node()), 5_000);

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger attempts = new AtomicInteger();
      List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread clients = new Thread(() -> {
        while (running.get()) {
          LbClient.Attempt a = client.connect();
          attempts.incrementAndGet();
          if (!a.ok()) {
            failures.add(a.error());
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
      }, "clients");
      clients.setDaemon(true);
      clients.start();

      long[] readyToRotation = new long[moves];
      long[] terminatingToDrained = new long[moves];
      int[] failuresPerMove = new int[moves];
      for (int m = 0; m < moves; m++) {
        String oldNode = nodes.get(m % 3);
        String newNode = nodes.get((m + 1) % 3);
        String oldPod = "rsyncer-" + m;
        String newPod = "rsyncer-" + (m + 1);
        int failuresBefore = failures.size();
        Bench.await(seed.pod(newNode).start());
        cluster.pod(newPod, newNode, seed.hostPort());
        long ready = System.nanoTime();
        cluster.ready(newPod, true);
        Bench.waitUntil(() -> takesNewConnections(lb, newNode), 10_000);
        readyToRotation[m] = System.nanoTime() - ready;

        long terminating = System.nanoTime();
        cluster.terminate(oldPod);
        if (!preStop) {
          seed.pod(oldNode).silence();
        }
        Bench.waitUntil(() -> !takesNewConnections(lb, oldNode), 10_000);
        terminatingToDrained[m] = System.nanoTime() - terminating;
        if (preStop) {
          Bench.pause(1000); // preStop: the old pod still serves
          seed.pod(oldNode).silence();
        }
        Bench.pause(1000); // its process is gone, its port still accepts
        Bench.await(seed.pod(oldNode).stop());
        cluster.gone(oldPod);
        Bench.pause(200);
        failuresPerMove[m] = failures.size() - failuresBefore;
      }
      running.set(false);
      clients.join();

      System.out.printf("%s, %s:%n", kind.name().toLowerCase(), preStop ? "preStop delay 1 s" : "harsh: no preStop, the old pod stops serving when marked terminating");
      System.out.printf("  Pod Ready -> node in the LB's rotation: p50 %.1f ms, p99 %.1f ms (includes one probe of the node)%n",
          Bench.pct(readyToRotation, 50), Bench.pct(readyToRotation, 99));
      System.out.printf("  deletionTimestamp set -> node out of the LB's rotation: p50 %.1f ms, p99 %.1f ms%s%n",
          Bench.pct(terminatingToDrained, 50), Bench.pct(terminatingToDrained, 99),
          kind == Kind.NGINX ? " (nginx: file written; its reload follows)" : " (HAProxy: drained live)");
      long[] agentSide = seenToDrained.stream().mapToLong(ms -> Math.round(ms * 1e6)).toArray();
      if (agentSide.length > 0) {
        System.out.printf("  the agent seeing it -> drain applied (%s): p50 %.1f ms, p99 %.1f ms%n",
            kind == Kind.NGINX ? "validate, write, reload" : "Runtime API, read back", Bench.pct(agentSide, 50), Bench.pct(agentSide, 99));
      }
      System.out.printf("  client connections: %d, failed %d; failed per move max %d%s%n%n", attempts.get(), failures.size(),
          java.util.Arrays.stream(failuresPerMove).max().orElse(0), failures.isEmpty() ? "" : " (" + failures.get(0) + ")");
      Bench.await(vertx.undeploy(agent.deploymentID()));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** HAProxy: the server is ready (a draining one takes none); nginx: not down in the file. */
  private static boolean takesNewConnections(LbProcess lb, String node) throws Exception {
    if (lb instanceof HaproxyProcess haproxy) {
      return haproxy.servers().stream().anyMatch(s -> s.startsWith(node + " ") && s.endsWith(" ready"));
    }
    return lb.inRotation().contains(node);
  }

}
