package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.HaproxyProcess;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config re-read that changes only a service's nodes, against a real HAProxy: the new node is
 * probed and added live, the removed one drained and deleted, the others keep their probe state,
 * and HAProxy's worker is never replaced.
 */
class LiveTargetsTest {
  private static final String NEWTON = "      - { name: newton,     address: 127.0.0.4 }\n";
  private static final String KEPLER = "      - { name: kepler,     address: 127.0.0.5 }\n";

  @TempDir Path dir;
  private final BlockedThreadWatch blocked = new BlockedThreadWatch();
  private Vertx vertx;
  private SeedScenario seed;
  private PretendPod kepler;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx(BlockedThreadWatch.strictOptions());
    seed = new SeedScenario(vertx, dir, Kind.HAPROXY, SeedScenario.freePort(), SeedScenario.freePort());
    for (String node : SeedScenario.NODES.keySet()) {
      get(seed.pod(node).start());
    }
    kepler = new PretendPod(vertx, "kepler", "127.0.0.5", seed.hostPort());
    get(kepler.start());
    seed.writeUnmanagedBackend();
    seed.lb().start();
  }

  @AfterEach
  void stop() throws Exception {
    get(kepler.stop());
    seed.close();
    get(vertx.close());
    blocked.close();
    assertEquals(List.of(), blocked.warnings(), "no event loop was blocked");
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static JsonObject status(Agent agent) throws Exception {
    return new JsonObject(HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.statusPort() + "/status")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  private static JsonObject node(JsonObject status, String name) {
    JsonArray nodes = status.getJsonArray("services").getJsonObject(0).getJsonArray("nodes");
    return nodes.stream().map(JsonObject.class::cast).filter(n -> n.getString("name").equals(name)).findFirst().orElse(null);
  }

  /** The agent from a config file with this text (the file stays for later re-reads). */
  private Agent startAgent(Path config, String yaml) throws Exception {
    Files.writeString(config, yaml);
    Agent agent = new Agent(ConfigLoader.load(config));
    get(vertx.deployVerticle(agent));
    return agent;
  }

  @Test
  void aNodesOnlyChangeIsMadeLiveAndKeepsTheOtherNodesState() throws Exception {
    HaproxyProcess haproxy = (HaproxyProcess) seed.lb();
    String three = seed.agentConfigYaml("no-nodes");
    Path config = dir.resolve("agent.yaml");
    Agent agent = startAgent(config, three);
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.firstApplyDone() && haproxy.workerPids().size() == 1
        && haproxy.servers().stream().filter(s -> s.endsWith(" ready")).count() == 3);
    List<Long> worker = haproxy.workerPids();
    await().atMost(Duration.ofSeconds(5)).until(() -> node(status(agent), "newton").getString("state").equals("ready"));
    String copernicusSince = node(status(agent), "copernicus").getString("since");

    // kepler joins, newton leaves, in one re-read
    Files.writeString(config, three.replace(NEWTON, KEPLER));
    agent.reloadConfig(config);
    await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.servers().equals(List.of(
        "copernicus 127.0.0.2:" + seed.hostPort() + " ready",
        "galileo 127.0.0.3:" + seed.hostPort() + " ready",
        "kepler 127.0.0.5:" + seed.hostPort() + " ready")));

    assertEquals(worker, haproxy.workerPids(), "no reload: the same HAProxy worker serves");
    await().atMost(Duration.ofSeconds(5)).until(() -> node(status(agent), "kepler") != null
        && node(status(agent), "newton") == null && "ready".equals(node(status(agent), "kepler").getString("state")));
    JsonObject status = status(agent);
    assertEquals(copernicusSince, node(status, "copernicus").getString("since"), "an unchanged node keeps its probe state");
    assertTrue(status.getJsonObject("agent").getJsonObject("lastConfigReload").getJsonArray("changes")
        .contains("nodes of rsync-ssh"), status.encode());
    assertEquals("runtime-api", status.getJsonArray("services").getJsonObject(0).getJsonObject("lastApply").getString("method"));
  }

  @Test
  void aServiceRemovedByAReReadLeavesNoFileAndNoBackendAndStatusNamesTheConfigRun() throws Exception {
    HaproxyProcess haproxy = (HaproxyProcess) seed.lb();
    String one = seed.agentConfigYaml("no-nodes");
    Path gitFile = haproxy.confDir().resolve("git-ssh.cfg");
    String two = one + "  - name: git-ssh\n    port: " + seed.hostPort() + "\n    probe: { type: tcp }\n"
        + "    nodes: [ { name: copernicus, address: 127.0.0.2 } ]\n"
        + haproxy.agentLbYaml().replace(haproxy.lbFile().toString(), gitFile.toString()).replace("upstream: rsync-ssh", "upstream: git-ssh");
    Path config = dir.resolve("agent.yaml");
    Agent agent = startAgent(config, two);
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.runtime("show servers state git-ssh").contains(" copernicus 127.0.0.2 "));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(Files.exists(gitFile) + " " + status(agent).encodePrettily(), e);
    }
    assertEquals(sha256(config), status(agent).getJsonObject("agent").getString("configSha256"), "the agent runs the file on disk");

    Files.writeString(config, one);
    agent.reloadConfig(config);
    await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(gitFile)
        && haproxy.runtime("show servers state git-ssh").contains("Can't find backend"));
    assertEquals(sha256(config), status(agent).getJsonObject("agent").getString("configSha256"), "the re-read file");
    assertEquals(3, haproxy.servers().stream().filter(s -> s.endsWith(" ready")).count(), "rsync-ssh serves on");
    assertTrue(Files.exists(haproxy.lbFile()));
  }

  private static String sha256(Path file) throws Exception {
    return dev.lbhealth.agent.config.AgentConfig.sha256(Files.readString(file));
  }

  @Test
  void aReReadThatAddsKubernetesDiscoveryIsRejectedAndTheRunningConfigStays() throws Exception {
    HaproxyProcess haproxy = (HaproxyProcess) seed.lb();
    String three = seed.agentConfigYaml("no-nodes");
    Path config = dir.resolve("agent.yaml");
    Agent agent = startAgent(config, three);
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.firstApplyDone() && haproxy.workerPids().size() == 1);

    Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n");
    Files.writeString(config, "kubernetes: { kubeconfig: " + kubeconfig + " }\n" + three.replace(NEWTON,
        NEWTON + "    kubernetes: { selector: \"name=hc-rsyncer-app\" }\n"));
    agent.reloadConfig(config);
    await().atMost(Duration.ofSeconds(5)).until(() -> status(agent).getJsonObject("agent").getJsonObject("lastConfigReload") != null);
    JsonObject reload = status(agent).getJsonObject("agent").getJsonObject("lastConfigReload");
    assertEquals("rejected", reload.getString("outcome"));
    assertTrue(reload.getJsonArray("errors").getString(0).startsWith("kubernetes: the agent started without a kubernetes section;"),
        reload.encode());
    assertEquals(3, haproxy.servers().stream().filter(s -> s.endsWith(" ready")).count(), "still serving as before");
    assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + agent.statusPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static double metric(Agent agent, String series) throws Exception {
    String text = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + agent.statusPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    return text.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst().orElse(-1);
  }

  @Test
  void countersGoOnCountingAcrossAReReadThatChangesTheService() throws Exception {
    String three = seed.agentConfigYaml("no-nodes");
    Path config = dir.resolve("agent.yaml");
    Agent agent = startAgent(config, three);
    String probes = "lb_agent_probes_total{node=\"copernicus\",outcome=\"up\",service=\"rsync-ssh\"}";
    await().atMost(Duration.ofSeconds(10)).until(() -> metric(agent, probes) >= 20);
    double before = metric(agent, probes);

    Files.writeString(config, three.replace("interval: 80ms", "interval: 90ms")); // a changed service: a new monitor
    agent.reloadConfig(config);
    // Watch the counter through the swap of monitors: it may never fall back (a reset would
    // restart it near zero, below its value before, for the next ~2 s).
    double lowest = Double.MAX_VALUE;
    long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
    while (System.nanoTime() < end) {
      lowest = Math.min(lowest, metric(agent, probes));
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // a sample every 20 ms
    }
    assertEquals(List.of("changed rsync-ssh"), status(agent).getJsonObject("agent").getJsonObject("lastConfigReload")
        .getJsonArray("changes").getList());
    assertTrue(lowest >= before, "the counter went on from " + before + "; it fell to " + lowest);
  }
}
