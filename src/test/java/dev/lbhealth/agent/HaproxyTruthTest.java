package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.HaproxyProcess;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.status.AgentMetrics;
import dev.lbhealth.agent.systemd.NotifySocket;
import dev.lbhealth.agent.systemd.SystemdNotifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent never says "ok" while the box does not serve what it believes, and never shows less
 * than HAProxy does: a real HAProxy, the seed's nodes on loopback, the shipped probe timing.
 */
class HaproxyTruthTest {
  @TempDir Path dir;
  private Vertx vertx;
  private SeedScenario seed;
  private HaproxyProcess haproxy;
  private NotifySocket systemd;
  private Agent agent;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    seed = new SeedScenario(vertx, dir, Kind.HAPROXY, SeedScenario.freePort(), SeedScenario.freePort());
    haproxy = (HaproxyProcess) seed.lb();
    get(seed.pod("copernicus").start());
    seed.writeUnmanagedBackend();
    haproxy.start();
    systemd = new NotifySocket(dir.resolve("notify.sock"));
  }

  @AfterEach
  void stop() throws Exception {
    seed.close();
    get(vertx.close());
    systemd.close();
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The demo's config (the shipped timing), with damping off and a drift check every 200 ms. */
  private String config() throws Exception {
    return seed.agentConfigYaml("all-nodes")
        .replace("      jitter: 0.1\n", "      jitter: 0.1\n      damping: off\n")
        .replace("      runtime-api: ", "      drift-check: 200ms\n      runtime-api: ");
  }

  private void deploy(String yaml) throws Exception {
    agent = new Agent(ConfigLoader.parse(yaml, "test"), SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", systemd.path.toString())),
        AgentMetrics.prometheus(), dev.lbhealth.agent.apply.LbControl.local());
    get(vertx.deployVerticle(agent));
  }

  private void startAgent(String... inRotation) throws Exception {
    deploy(config());
    await().atMost(Duration.ofSeconds(10)).until(() -> healthz().statusCode() == 200 && haproxy.inRotation().equals(List.of(inRotation)));
  }

  /**
   * A Runtime API the agent cannot use (here a wrong path; on a box, a user not in group
   * haproxy): the fallback reload still goes out, but the agent cannot see what HAProxy runs, so
   * it is never "ok" and never tells systemd that every service's first apply succeeded.
   */
  @Test
  void aRuntimeApiTheAgentCannotUseIsAProblemNotASilentSuccess() throws Exception {
    deploy(config().replace("      runtime-api: " + haproxy.runtimeSocket(), "      runtime-api: " + dir.resolve("nowhere.sock"))
        .replace("      command-timeout: 10s\n", "").replace("      drift-check: 200ms\n", "      drift-check: 200ms\n      command-timeout: 1s\n"));
    await().atMost(Duration.ofSeconds(15)).until(() -> service().containsKey("lastApply"));
    HttpResponse<String> health = healthz();
    assertEquals(503, health.statusCode(), health.body());
    String problem = new JsonObject(health.body()).getJsonArray("problems").getString(0);
    assertTrue(problem.contains("cannot see what HAProxy runs") && problem.contains("nowhere.sock"), problem);
    assertTrue(systemd.received.stream().noneMatch(m -> m.startsWith("READY=1")), "no READY while the LB cannot be seen: " + systemd.received);
    assertEquals(List.of("copernicus"), haproxy.inRotation(), "the reload itself went out: HAProxy serves the file");
  }

  private HttpResponse<String> request(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.statusPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> healthz() throws Exception {
    return request("/healthz");
  }

  private JsonObject node(JsonObject service, String name) {
    return service.getJsonArray("nodes").stream().map(JsonObject.class::cast).filter(n -> n.getString("name").equals(name))
        .findFirst().orElseThrow();
  }

  private JsonObject service() throws Exception {
    return new JsonObject(request("/status").body()).getJsonArray("services").getJsonObject(0);
  }

  private String haproxyState(String server) throws Exception {
    return haproxy.servers().stream().filter(s -> s.startsWith(server + " ")).map(s -> s.substring(s.lastIndexOf(' ') + 1))
        .findFirst().orElse("none");
  }

  @Test
  void failOpenIsLoudInHealthzStatusMetricsAndStatusLine() throws Exception {
    startAgent("copernicus");
    get(seed.pod("copernicus").stop());
    await().atMost(Duration.ofSeconds(5)).until(() -> service().getBoolean("failOpen"));
    HttpResponse<String> health = healthz();
    assertEquals(200, health.statusCode(), "fail-open is a warning: both LB boxes see the same nodes");
    JsonObject body = new JsonObject(health.body());
    String warning = body.getJsonArray("warnings").getString(0);
    assertTrue(warning.startsWith("service rsync-ssh: fail-open: no node is healthy, yet [copernicus, galileo, newton] in rotation"), warning);
    assertTrue(warning.contains("every probe fails the same way (connection refused)"), warning);
    await().atMost(Duration.ofSeconds(3)).until(() -> request("/metrics").body().contains("lb_agent_fail_open{service=\"rsync-ssh\"} 1"));
    await().atMost(Duration.ofSeconds(3)).until(() -> systemd.statuses().stream().anyMatch(s -> s.startsWith("warning: service rsync-ssh: fail-open")));
    assertEquals(List.of(warning), service().getJsonArray("warnings").getList(), "the page shows the same words, per service");

    get(seed.pod("newton").start());
    await().atMost(Duration.ofSeconds(5)).until(() -> !service().getBoolean("failOpen"));
    assertEquals(List.of(), new JsonObject(healthz().body()).getJsonArray("warnings").getList());
    await().atMost(Duration.ofSeconds(3)).until(() -> request("/metrics").body().contains("lb_agent_fail_open{service=\"rsync-ssh\"} 0"));
    await().atMost(Duration.ofSeconds(3)).until(() -> systemd.statuses().get(systemd.statuses().size() - 1)
        .equals("rsync-ssh: in rotation [newton], 1/3 up"));
  }

  /**
   * A health change reaches /status before HAProxy shows it: 30 times a node's pod comes or goes,
   * HAProxy is read until it shows the change, and /status read right after must already show it.
   */
  @Test
  void statusIsNeverBehindHaproxy() throws Exception {
    get(seed.pod("galileo").start());
    startAgent("copernicus", "galileo");
    int behind = 0;
    StringBuilder seen = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      boolean up = i % 2 == 1;
      get(up ? seed.pod("copernicus").start() : seed.pod("copernicus").stop());
      String want = up ? "ready" : "maint";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!haproxyState("copernicus").equals(want)) {
        assertTrue(System.nanoTime() < deadline, "HAProxy shows copernicus " + want + " within 5 s");
        Thread.onSpinWait();
      }
      JsonObject copernicus = node(service(), "copernicus");
      if (!copernicus.getString("health").equals(up ? "up" : "down") || !want.equals(copernicus.getString("state"))) {
        behind++;
        seen.append(copernicus.encode()).append('\n');
      }
    }
    assertEquals(0, behind, "reads of /status behind HAProxy:\n" + seen);
  }

  @Test
  void aStoppedHaproxyIsAProblemUntilItServesAgain() throws Exception {
    startAgent("copernicus");
    haproxy.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> healthz().statusCode() == 503);
    String problem = new JsonObject(healthz().body()).getJsonArray("problems").getString(0);
    assertTrue(problem.startsWith("service rsync-ssh: HAProxy does not answer"), problem);
    await().atMost(Duration.ofSeconds(5)).until(() -> new JsonObject(healthz().body()).getJsonArray("problems").getString(0)
        .contains("the reload command did not bring it back"));
    await().atMost(Duration.ofSeconds(3)).until(() -> systemd.statuses().get(systemd.statuses().size() - 1)
        .startsWith("degraded: service rsync-ssh: HAProxy does not answer"));
    assertEquals(problem.substring(0, 40), service().getString("problem").substring(0, 40), "the page says it too");

    haproxy.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> healthz().statusCode() == 200);
    await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.inRotation().equals(List.of("copernicus")));
  }

  /**
   * After a change fell back to a reload (the admin socket answering garbage for a while), the
   * reload is verified on the new HAProxy process, and the drift check still runs and puts right
   * what is changed by hand: a state, a weight, a health.
   */
  @Test
  void afterAFallbackReloadDriftIsStillCorrectedWeightAndHealthToo() throws Exception {
    startAgent("copernicus");
    Path socket = haproxy.runtimeSocket();
    Path real = dir.resolve("real.sock");
    Files.move(socket, real);
    NetServer garbage = get(vertx.createNetServer().connectHandler(s -> s.end(Buffer.buffer("Unknown command.\n\n> ")))
        .listen(SocketAddress.domainSocketAddress(socket.toString())));
    int reloads = haproxy.reloads();
    get(seed.pod("copernicus").stop());
    get(seed.pod("newton").start());
    await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.reloads() > reloads);
    get(garbage.close());
    Files.deleteIfExists(socket);
    Files.move(real, socket);
    // Whichever met the garbage first (the apply, or the drift check) fell back to a reload.
    await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.inRotation().equals(List.of("newton")) && healthz().statusCode() == 200);

    for (String byHand : List.of("set server rsync-ssh/newton state maint", "set weight rsync-ssh/newton 0",
        "set server rsync-ssh/newton health down")) {
      haproxy.runtime(byHand);
      assertTrue(!takesTraffic("newton"), "'" + byHand + "' takes newton out");
      await().atMost(Duration.ofSeconds(5)).until(() -> takesTraffic("newton"));
    }
    assertEquals(200, healthz().statusCode());
  }

  /** From HAProxy: running, in no maintenance, at its configured weight. */
  private boolean takesTraffic(String server) throws Exception {
    return haproxy.runtime("show servers state rsync-ssh").lines().map(l -> l.split(" "))
        .anyMatch(f -> f.length > 8 && f[3].equals(server) && f[5].equals("2") && (Integer.parseInt(f[6]) & 0x23) == 0
            && f[7].equals(f[8]));
  }

  /**
   * A node given by host name: HAProxy's Runtime API takes addresses only, so the agent resolves
   * the name; HAProxy runs the address, the agent sees it as the same server (no endless drift,
   * no reload per change), and switches it live.
   */
  @Test
  void aNodeGivenByHostNameIsSwitchedLiveAtItsAddress() throws Exception {
    dev.lbhealth.agent.demo.PretendPod onLocalhost = new dev.lbhealth.agent.demo.PretendPod(vertx, "copernicus", "127.0.0.1", seed.hostPort());
    get(seed.pod("copernicus").stop());
    get(onLocalhost.start());
    deploy(config().replace("{ name: copernicus, address: 127.0.0.2 }", "{ name: copernicus, address: localhost }"));
    String at = "copernicus 127.0.0.1:" + seed.hostPort() + " ";
    await().atMost(Duration.ofSeconds(10)).until(() -> healthz().statusCode() == 200
        && haproxy.servers().contains(at + "ready") && haproxy.inRotation().equals(List.of("copernicus")));

    get(onLocalhost.stop());
    get(seed.pod("galileo").start());
    await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.inRotation().equals(List.of("galileo")));
    get(onLocalhost.start());
    await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.inRotation().equals(List.of("copernicus", "galileo")));
    JsonObject service = service();
    assertEquals("runtime-api", service.getJsonObject("lastApply").getString("method"), service.encode());
    assertEquals(null, service.getValue("lastDrift"), "HAProxy's address for the name is no drift");
    assertEquals(200, healthz().statusCode());
    get(onLocalhost.stop());
  }

  /**
   * A node whose host name does not resolve cannot be a server of HAProxy's Runtime API: it is
   * left out of the backend while its probe fails, and the other nodes are applied as usual (one
   * bad name is not the service's outage).
   */
  @Test
  void aNodeWhoseHostNameDoesNotResolveIsLeftOutAndTheRestApplies() throws Exception {
    deploy(config().replace("{ name: newton,     address: 127.0.0.4 }", "{ name: newton,     address: newton.invalid }"));
    await().atMost(Duration.ofSeconds(10)).until(() -> healthz().statusCode() == 200
        && haproxy.inRotation().equals(List.of("copernicus")) && haproxy.servers().stream().noneMatch(s -> s.startsWith("newton ")));
    JsonObject service = service();
    assertEquals("down", node(service, "newton").getString("health"), service.encode());
    get(seed.pod("galileo").start());
    await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.inRotation().equals(List.of("copernicus", "galileo")));
    assertEquals(200, healthz().statusCode());
    assertEquals("runtime-api", service().getJsonObject("lastApply").getString("method"), "switched live with newton left out");
  }

  /** An overload warning that has run out leaves STATUS= as it leaves /healthz. */
  @Test
  void anOverloadThatEndedLeavesTheStatusLine() throws Exception {
    startAgent("copernicus");
    agent.overload.rememberFor(1_500);
    await().atMost(Duration.ofMillis(Agent.WARM_UP_GRACE_MS + 2_000)).until(agent::pastWarmUp); // the start's pauses are warm-up
    agent.agentContext().runOnContext(v -> {
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
      while (System.nanoTime() < end) {
        Thread.onSpinWait();
      }
    });
    await().atMost(Duration.ofSeconds(3)).until(() -> systemd.statuses().stream().anyMatch(s -> s.startsWith("warning: agent overloaded")));
    await().atMost(Duration.ofSeconds(5)).until(() -> new JsonObject(healthz().body()).getJsonArray("warnings").isEmpty());
    await().atMost(Duration.ofSeconds(3)).until(() -> systemd.statuses().get(systemd.statuses().size() - 1)
        .equals("rsync-ssh: in rotation [copernicus], 1/3 up"));
  }
}
