package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.apply.LbControl;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.helper.ApplyHelper;
import dev.lbhealth.agent.status.AgentMetrics;
import dev.lbhealth.agent.systemd.SystemdNotifier;
import java.util.Map;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.config.ProbeConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.demo.LbClient;
import dev.lbhealth.agent.demo.NginxProcess;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seed's problem end to end, once with HAProxy and once with nginx: the real LB on
 * 127.0.0.1, pretend pods on the nodes' loopback addresses 127.0.0.2-4, the agent in between;
 * assertions are what a client (or the LB's own log) shows, and what the agent believes (each
 * node's health and rotation in /status) against where the pod really runs. Each LB is run with
 * the agent on Netty's native epoll, as {@code run} does (the transport on which banner probes
 * once went blind), and on NIO, where epoll does not load.
 */
abstract class SeedEndToEnd {
  private final Kind kind;
  private final boolean nativeTransport;
  /** Whether the agent reaches the LB through the apply helper, as the packaged units run it. */
  private final boolean throughHelper;
  private ApplyHelper helper;

  SeedEndToEnd(Kind kind, boolean nativeTransport) {
    this(kind, nativeTransport, false);
  }

  SeedEndToEnd(Kind kind, boolean nativeTransport, boolean throughHelper) {
    this.kind = kind;
    this.nativeTransport = nativeTransport;
    this.throughHelper = throughHelper;
  }

  @TempDir Path dir;
  private final BlockedThreadWatch blocked = new BlockedThreadWatch();
  private Vertx vertx;
  private SeedScenario seed;
  private Agent agent;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx(BlockedThreadWatch.strictOptions().setPreferNativeTransport(nativeTransport));
    assertEquals(nativeTransport, vertx.isNativeTransportEnabled(), "native epoll loads here: " + vertx.unavailableNativeTransportCause());
    seed = new SeedScenario(vertx, dir, kind, SeedScenario.freePort(), SeedScenario.freePort());
    get(seed.pod("copernicus").start());
    seed.writeUnmanagedBackend();
    seed.lb().start();
  }

  @AfterEach
  void stop() throws Exception {
    if (helper != null) {
      helper.close();
    }
    seed.close();
    get(vertx.close());
    blocked.close();
    assertEquals(List.of(), blocked.warnings(), "no event loop was blocked");
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private void startAgent(AgentConfig config) throws Exception {
    if (throughHelper) {
      Path socket = dir.resolve("apply-helper.sock");
      helper = ApplyHelper.forConfig(config, ApplyHelper.bind(socket), System.getProperty("user.name")).serveInBackground();
      agent = new Agent(config, SystemdNotifier.fromEnvironment(Map.of()), AgentMetrics.prometheus(), LbControl.helper(socket));
    } else {
      agent = new Agent(config);
    }
    get(vertx.deployVerticle(agent));
  }

  private HttpResponse<String> http(String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.statusPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonObject service() throws Exception {
    return new JsonObject(http("/status").body()).getJsonArray("services").getJsonObject(0);
  }

  private static int successes(LbClient client, int attempts, String node) {
    int ok = 0;
    for (int i = 0; i < attempts; i++) {
      LbClient.Attempt a = client.connect();
      ok += a.ok() && a.node().equals(node) ? 1 : 0;
    }
    return ok;
  }

  @Test
  void everyConnectionWorksOnceTheAgentRuns() throws Exception {
    if (kind == Kind.HAPROXY) {
      int worked = successes(seed.client(), 30, "copernicus");
      assertTrue(worked >= 8 && worked <= 12, "without the agent about one connection in three works: " + worked + " of 30");
    } else {
      assertEquals(30, successes(seed.client(), 30, "copernicus"), "nginx retries the next server on its own");
      assertTrue(((NginxProcess) seed.lb()).refusedUpstreamConnects() > 0, "but first sends clients to the dead nodes");
    }

    startAgent(seed.agentConfig("all-nodes"));
    await().atMost(Duration.ofSeconds(10)).until(() -> http("/healthz").statusCode() == 200);

    // The reload command returns before the LB's new workers take over: wait until they have.
    await().atMost(Duration.ofSeconds(5)).until(() -> successes(seed.client(), 10, "copernicus") == 10);
    int refusedBefore = kind == Kind.NGINX ? ((NginxProcess) seed.lb()).refusedUpstreamConnects() : 0;
    assertEquals(100, successes(seed.client(), 100, "copernicus"));
    if (kind == Kind.NGINX) {
      assertEquals(refusedBefore, ((NginxProcess) seed.lb()).refusedUpstreamConnects(), "no client is sent to a dead node");
    }
    // Belief = reality, and it stays so: the pod runs on copernicus only, probed with the shipped
    // banner timing (60 ms timeout); no fail-open, no warning, read after read.
    for (int i = 0; i < 20; i++) {
      JsonObject s = service();
      for (Object o : s.getJsonArray("nodes")) {
        JsonObject node = (JsonObject) o;
        boolean runsThePod = node.getString("name").equals("copernicus");
        assertEquals(runsThePod ? "up" : "down", node.getString("health"), "read " + i + ": " + node.encode());
        assertEquals(runsThePod, node.getBoolean("inRotation"), "read " + i + ": " + node.encode());
      }
      assertEquals(false, s.getBoolean("failOpen"), s.encode());
      assertEquals(List.of(), new JsonObject(http("/healthz").body()).getJsonArray("warnings").getList());
    }
    JsonObject status = service();
    assertEquals("applied", status.getJsonObject("lastApply").getString("outcome"));
    assertEquals(List.of("copernicus"), status.getJsonObject("serverSet").getJsonArray("active").getList());
    JsonObject galileo = status.getJsonArray("nodes").getJsonObject(1);
    assertEquals("down", galileo.getString("health"));
    assertEquals("connection refused", galileo.getJsonObject("lastProbe").getString("detail"));
  }

  @ParameterizedTest(name = "when-empty: {0}")
  @ValueSource(strings = {"all-nodes", "no-nodes"})
  void followsThePodWhenItMovesToAnotherNode(String whenEmpty) throws Exception {
    AgentConfig config = seed.agentConfig(whenEmpty);
    startAgent(config);
    await().atMost(Duration.ofSeconds(10)).until(() -> http("/healthz").statusCode() == 200);

    get(seed.pod("copernicus").stop());
    // The gap: every node's pod is gone until the agent has seen it.
    await().atMost(Duration.ofSeconds(5)).until(() ->
        service().getJsonArray("nodes").getJsonObject(0).getString("health").equals("down"));
    get(seed.pod("newton").start());
    long listening = System.nanoTime();

    LbClient client = seed.client();
    await().atMost(detectionTime(config.services().get(0)).plusSeconds(1)).pollInterval(Duration.ofMillis(5))
        .until(() -> client.connect().ok());
    System.out.printf("[%s, %s] newton served through the LB %.1f ms after it listened%n", kind, whenEmpty,
        (System.nanoTime() - listening) / 1e6);

    await().atMost(Duration.ofSeconds(5)).until(() ->
        service().getJsonObject("serverSet").getJsonArray("active").getList().equals(List.of("newton")));
    await().atMost(Duration.ofSeconds(5)).until(() -> successes(client, 50, "newton") == 50);
    assertEquals(kind == Kind.HAPROXY ? "runtime-api" : "reload", service().getJsonObject("lastApply").getString("method"),
        "with HAProxy a node going in or out of rotation needs no reload");
  }

  /** The longest the agent may take by its config to put a node that came up into rotation. */
  private static Duration detectionTime(ServiceConfig s) {
    ProbeConfig p = s.probe();
    long probes = Math.round(p.interval().toMillis() * (1 + p.jitter()) * p.rise()) + p.timeout().toMillis();
    return Duration.ofMillis(probes).plus(s.coalesceMax());
  }

  @Test
  void emptySetKeepsTheLbRunningAndRefusesClientsAtOnce() throws Exception {
    startAgent(seed.agentConfig("no-nodes"));
    await().atMost(Duration.ofSeconds(10)).until(() -> http("/healthz").statusCode() == 200);
    get(seed.pod("copernicus").stop());
    // /status shows the set while it is applied: done once it is no longer "applying".
    await().atMost(Duration.ofSeconds(5)).until(() -> service().getJsonObject("serverSet").getJsonArray("active").isEmpty()
        && !service().getJsonObject("serverSet").getBoolean("applying") && http("/healthz").statusCode() == 200);
    assertEquals(List.of(), seed.lb().inRotation());

    LbClient.Attempt refused = seed.client().connect();
    assertTrue(!refused.ok() && refused.nanos() < TimeUnit.SECONDS.toNanos(1),
        "a client is turned away at once, not left hanging: " + refused);

    get(seed.pod("galileo").start());
    await().atMost(Duration.ofSeconds(5)).until(() -> seed.client().connect().ok());
    // nginx's reload is asynchronous: workers with the old config may take a last few connections.
    await().atMost(Duration.ofSeconds(5)).until(() -> successes(seed.client(), 20, "galileo") == 20);
  }

  @Test
  void failingReloadKeepsTheOldFileAndShowsInStatus() throws Exception {
    String before = Files.readString(seed.lbFile());
    String yaml = seed.agentConfigYaml("all-nodes").replaceAll("reload: .*", "reload: \"echo haproxy is gone >&2; exit 1\"");
    startAgent(ConfigLoader.parse(yaml, "test"));

    await().atMost(Duration.ofSeconds(10)).until(() -> service().containsKey("lastApply"));
    JsonObject apply = service().getJsonObject("lastApply");
    assertEquals("failed", apply.getString("outcome"));
    assertTrue(apply.getJsonArray("errors").stream().anyMatch(e -> e.toString().startsWith("reload failed, previous file restored: ")),
        apply.encode());
    assertEquals(before, Files.readString(seed.lbFile()), "the last good file stays");

    HttpResponse<String> health = http("/healthz");
    assertEquals(503, health.statusCode());
    assertTrue(health.body().contains("haproxy is gone"), health.body());
    assertEquals(0, seed.lb().reloads());
  }
}
