package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.FakeCluster;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The demo's Kubernetes act ({@code ./demo.sh --kubernetes [--lb nginx]}): the seed's three nodes
 * behind a real HAProxy (or nginx) on loopback, a stand-in API server (fabric8's mock, test scope:
 * never in the shipped jar) and a rolling update of the pod with zero failed connections.
 */
public final class KubernetesDemo {
  private static final String NODES = "    nodes:\n"
      + "      - { name: copernicus, address: 127.0.0.2 }\n"
      + "      - { name: galileo,    address: 127.0.0.3 }\n"
      + "      - { name: newton,     address: 127.0.0.4 }\n";

  private KubernetesDemo() {}

  public static void main(String[] args) throws Exception {
    Kind kind = args.length > 1 && args[0].equals("--lb") ? Kind.valueOf(args[1].toUpperCase(Locale.ROOT)) : Kind.HAPROXY;
    Path dir = Files.createTempDirectory("lb-health-agent-demo");
    Vertx vertx = Vertx.vertx();
    try (FakeCluster cluster = new FakeCluster();
        SeedScenario seed = new SeedScenario(vertx, dir, kind, SeedScenario.freePort(), SeedScenario.freePort())) {
      say("A stand-in Kubernetes API on " + cluster.url() + " knows the seed's nodes copernicus 127.0.0.2,");
      say("galileo 127.0.0.3 and newton 127.0.0.4. Pod rsyncer-1 (hostPort " + seed.hostPort() + " -> 22) runs on galileo, Ready.");
      for (String node : List.of("copernicus", "galileo", "newton")) {
        cluster.node(node, SeedScenario.NODES.get(node));
      }
      cluster.pod("rsyncer-1", "galileo", seed.hostPort());
      Bench.await(seed.pod("galileo").start());
      cluster.ready("rsyncer-1", true);
      // Something else answers on newton's port, with no pod of the service: it must stay out.
      Bench.await(seed.pod("newton").start());
      seed.writeUnmanagedBackend();
      seed.lb().start();

      say("\n1) The agent watches the pods labelled name=" + FakeCluster.LABEL + " and the nodes, and probes every node:");
      String yaml = cluster.agentYaml(dir) + seed.agentConfigYaml("no-nodes").replace(NODES,
          "    kubernetes: { namespace: default, selector: \"name=" + FakeCluster.LABEL + "\" }\n");
      Agent agent = new Agent(ConfigLoader.parse(yaml, "demo"));
      Bench.await(vertx.deployVerticle(agent));
      Bench.waitUntil(() -> agent.firstApplyDone() && seed.lb().inRotation().equals(List.of("galileo")), 15_000);
      say(indent(Files.readString(seed.lbFile())));
      say("   newton's port answers too, but Kubernetes has no Ready pod of the service there: it stays out.");

      say("\n2) A rolling update while a client connects through " + kind.name().toLowerCase(Locale.ROOT) + " every 10 ms:");
      say("   rsyncer-2 becomes Ready on newton; then rsyncer-1 is told to terminate: it serves 1 s more (preStop),");
      say("   then accepts connections but serves nothing for 1 s, then is gone.");
      LbClient client = seed.client();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger attempts = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      Thread clients = new Thread(() -> {
        while (running.get()) {
          attempts.incrementAndGet();
          if (!client.connect().ok()) {
            failed.incrementAndGet();
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
      }, "clients");
      clients.setDaemon(true);
      clients.start();
      cluster.pod("rsyncer-2", "newton", seed.hostPort());
      cluster.ready("rsyncer-2", true);
      Bench.waitUntil(() -> seed.lb().inRotation().contains("newton"), 10_000);
      cluster.terminate("rsyncer-1");
      Bench.pause(1000); // preStop: the old pod still serves
      seed.pod("galileo").silence();
      Bench.pause(1000); // its process is gone, its port still accepts
      Bench.await(seed.pod("galileo").stop());
      cluster.gone("rsyncer-1");
      Bench.pause(300);
      running.set(false);
      clients.join();
      say("   => " + attempts.get() + " connections, " + failed.get() + " failed.");

      say("\n3) What the agent reports (GET /status, abridged):");
      String status = new String(java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + agent.statusPort() + "/status")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body());
      io.vertx.core.json.JsonObject service = new io.vertx.core.json.JsonObject(status).getJsonArray("services").getJsonObject(0);
      service.getJsonArray("nodes").forEach(n -> {
        io.vertx.core.json.JsonObject node = (io.vertx.core.json.JsonObject) n;
        say(String.format("   %-11s %-17s probe %-5s kubernetes %-9s %s", node.getString("name"), node.getString("address"),
            node.getString("health"), node.getString("kubernetes"), node.getString("state")));
      });
      say("   discovery: " + service.getJsonObject("discovery").getString("source"));
      Bench.await(vertx.undeploy(agent.deploymentID()));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void say(String line) {
    System.out.println(line);
  }

  private static String indent(String text) {
    return text.lines().map(l -> "   | " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }
}
