package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.LbConfig.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Show the seed's problem solved on loopback with a real HAProxy (or nginx): "
        + "1 connection in 3 without the agent, all with it, and a pod move healed.")
public final class DemoCommand implements Callable<Integer> {
  /** {@code ./demo.sh [--lb nginx]}: the demo is no part of the shipped jar; it runs from the source tree. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoCommand()).execute(args));
  }

  @Option(names = "--lb", defaultValue = "haproxy", description = "haproxy or nginx (default ${DEFAULT-VALUE})")
  String lb;

  @Option(names = "--connections", defaultValue = "9", description = "connections per round (default ${DEFAULT-VALUE})")
  int connections;

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("lb-health-agent-demo");
    // Native epoll where it loads, as `run` does: the demo runs the transport the service runs.
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    int frontend = freeOr(30036);
    int hostPort = freeOr(9890);
    Kind kind = Kind.valueOf(lb.toUpperCase(java.util.Locale.ROOT));
    String lbName = kind == Kind.HAPROXY ? "HAProxy" : "nginx";
    try (SeedScenario seed = new SeedScenario(vertx, dir, kind, frontend, hostPort)) {
      say("The seed: K3s nodes copernicus 127.0.0.2, galileo 127.0.0.3, newton 127.0.0.4;");
      say("a pod on copernicus publishes hostPort " + hostPort + " -> 22 (SSH); " + lbName + " listens on 127.0.0.1:" + frontend + ".");
      await(seed.pod("copernicus").start());
      seed.writeUnmanagedBackend();
      seed.lb().start();

      say("\n1) Without the agent " + lbName + " round-robins over all three nodes:");
      round(seed.client());
      nginxNote(seed);

      say("\n2) lb-health-agent starts, probes each node's port " + hostPort + " for an SSH banner and rewrites the backend:");
      Agent agent = new Agent(seed.agentConfig("all-nodes"));
      await(vertx.deployVerticle(agent));
      waitHealthy(agent.statusPort());
      say(indent(Files.readString(seed.lbFile())));
      round(seed.client());
      nginxNote(seed);
      boolean truthful = believes(agent.statusPort(), "copernicus");

      say("\n3) Kubernetes reschedules the pod: copernicus stops it, newton starts it 300 ms later.");
      await(seed.pod("copernicus").stop());
      Thread.sleep(300);
      await(seed.pod("newton").start());
      long listening = System.nanoTime();
      LbClient client = seed.client();
      LbClient.Attempt a;
      do {
        a = client.connect();
      } while (!a.ok() && System.nanoTime() - listening < TimeUnit.SECONDS.toNanos(10));
      say(String.format("   first connection through %s served by %s %.0f ms after newton listened.",
          lbName, a.node(), (System.nanoTime() - listening) / 1e6));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!seed.lb().inRotation().equals(java.util.List.of("newton")) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      round(seed.client());
      truthful &= believes(agent.statusPort(), "newton");

      say("\n4) What the agent reports (GET /status, abridged; the full JSON has probe times and details):");
      JsonObject service = new JsonObject(get(agent.statusPort(), "/status")).getJsonArray("services").getJsonObject(0);
      for (Object o : service.getJsonArray("nodes")) {
        JsonObject node = (JsonObject) o;
        say(String.format("   %-11s %-16s %-5s %s", node.getString("name"), node.getString("address"), node.getString("health"),
            node.getBoolean("inRotation") ? "in rotation" : ""));
      }
      JsonObject apply = service.getJsonObject("lastApply");
      say("   last apply: " + apply.getString("outcome") + " via " + apply.getString("method") + " in "
          + Math.round(apply.getDouble("durationMs")) + " ms");
      await(vertx.undeploy(agent.deploymentID()));
      if (!truthful) {
        say("\nThe agent's view did not match where the pod runs (see above): clients may have got through by the LB's retries alone.");
        return 1;
      }
      return 0;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * Clients getting through is not enough (fail-open and the LB's retries hide a blind agent):
   * once the agent has settled (within 5 s: an nginx reload may still be under way), every read
   * of /status for 2 s must show each node up and in rotation exactly where the pod runs, with no
   * warning in /healthz. Prints what it saw; false if it never settled or a read then differed.
   */
  private static boolean believes(int port, String podNode) throws Exception {
    long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    String wrong;
    while ((wrong = mismatch(port, podNode)) != null && System.nanoTime() < settleBy) {
      Thread.sleep(20);
    }
    int reads = 0;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (wrong == null && System.nanoTime() < end) {
      reads++;
      wrong = mismatch(port, podNode);
      Thread.sleep(50);
    }
    say(wrong == null
        ? "   the agent's own view matches: " + podNode + " alone up and in rotation, in all " + reads + " reads of /status over 2 s"
        : "   MISMATCH: the pod runs on " + podNode + " but the agent shows " + wrong);
    return wrong == null;
  }

  /** What in /status or /healthz differs from the pod running on {@code podNode} alone, or null. */
  private static String mismatch(int port, String podNode) throws Exception {
    JsonObject service = new JsonObject(get(port, "/status")).getJsonArray("services").getJsonObject(0);
    for (Object o : service.getJsonArray("nodes")) {
      JsonObject node = (JsonObject) o;
      boolean here = node.getString("name").equals(podNode);
      if (!node.getString("health").equals(here ? "up" : "down") || node.getBoolean("inRotation") != here) {
        return node.getString("name") + " " + node.getString("health") + (node.getBoolean("inRotation") ? ", in rotation" : "")
            + (node.getJsonObject("lastProbe") == null ? "" : " (last probe: " + node.getJsonObject("lastProbe").getString("detail") + ")");
      }
    }
    JsonObject healthz = new JsonObject(get(port, "/healthz"));
    return healthz.getJsonArray("warnings").isEmpty() ? null : "/healthz warns: " + healthz.getJsonArray("warnings").getString(0);
  }

  private void round(LbClient client) {
    int ok = 0;
    StringBuilder line = new StringBuilder("   ");
    for (int i = 0; i < connections; i++) {
      LbClient.Attempt a = client.connect();
      ok += a.ok() ? 1 : 0;
      line.append(a.ok() ? a.node() : "FAILED").append(i + 1 < connections ? ", " : "");
    }
    say(line.toString());
    say("   => " + ok + " of " + connections + " connections worked");
  }

  private int refusedSoFar;

  /** nginx hides refused connects by retrying the next server; its error log still counts them. */
  private void nginxNote(SeedScenario seed) throws IOException {
    if (seed.lb() instanceof NginxProcess nginx) {
      int refused = nginx.refusedUpstreamConnects();
      say("   nginx's error log: " + (refused - refusedSoFar) + " upstream connects refused during this round"
          + (refusedSoFar == 0 ? " (nginx retries the next server; a node that is down rather than refusing"
              + " would cost such a client proxy_connect_timeout, 60 s by default)" : ""));
      refusedSoFar = refused;
    }
  }

  private static void waitHealthy(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (get(port, "/healthz").contains("\"ok\"")) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("the agent did not become healthy: " + get(port, "/healthz"));
  }

  private static String get(int port, String path) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static int freeOr(int preferred) throws IOException {
    try (ServerSocket s = new ServerSocket(preferred)) {
      return preferred;
    } catch (IOException taken) {
      return SeedScenario.freePort();
    }
  }

  private static String indent(String text) {
    return text.strip().lines().map(l -> "   | " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  private static void say(String s) {
    System.out.println(s);
  }
}
