package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.timing.VertxTimers;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerSet.Server;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.demo.HaproxyProcess;
import dev.lbhealth.agent.demo.LbClient;
import dev.lbhealth.agent.demo.LbSession;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Runtime API writer against a real HAProxy 2.6 in master-worker mode with a stats socket,
 * pods on 127.0.0.2-5: what HAProxy shows, which worker serves, what a client sees.
 */
class HaproxyRuntimeWriterTest {
  // Not final: HaproxyRuntimeWriterThroughHelperTest runs every test through the apply helper.
  private static final Map<String, String> NODES = new LinkedHashMap<>(Map.of(
      "copernicus", "127.0.0.2", "galileo", "127.0.0.3", "newton", "127.0.0.4", "kepler", "127.0.0.5"));

  @TempDir Path dir;
  private Vertx vertx;
  private Context context;
  private HaproxyProcess haproxy;
  private int hostPort;
  private final List<PretendPod> pods = new ArrayList<>();
  private LbWriter writer;
  private final List<String> reports = new CopyOnWriteArrayList<>();
  private final ApplyListener listener = new ApplyListener() {
    @Override
    public void persisted(FileWrite write) {
      reports.add("file " + write.outcome());
    }

    @Override
    public void drift(List<String> differences, boolean corrected) {
      reports.add("drift " + differences + (corrected ? " corrected" : " reported"));
    }

    @Override
    public void removed(String server, boolean atDrainTimeout) {
      reports.add("removed " + server + (atDrainTimeout ? " at the drain timeout" : " after draining"));
    }
  };

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    hostPort = SeedScenario.freePort();
    for (Map.Entry<String, String> node : NODES.entrySet()) {
      PretendPod pod = new PretendPod(vertx, node.getKey(), node.getValue(), hostPort);
      get(pod.start());
      pods.add(pod);
    }
    haproxy = new HaproxyProcess(dir, SeedScenario.freePort(), "rsync-ssh");
    Map<String, String> three = new LinkedHashMap<>(NODES);
    three.remove("kepler");
    haproxy.writeUnmanaged(three, hostPort);
    haproxy.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (writer != null) {
      on(() -> writer.close());
    }
    haproxy.close();
    get(vertx.close());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private <T> T on(Supplier<Future<T>> work) throws Exception {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> work.get().onComplete(done));
    return get(done.future());
  }

  private void startWriter(String extra) throws Exception {
    startWriter(haproxy.runtimeSocket(), extra);
  }

  /** A writer that talks to {@code socket} (HAProxy's own, or another) as its Runtime API. */
  private void startWriter(Path socket, String extra) throws Exception {
    startWriterWith(haproxy.agentLbYaml().replace(haproxy.runtimeSocket().toString(), socket.toString()) + extra);
  }

  /** A writer for the service with this {@code lb:} block. */
  private void startWriterWith(String lbYaml) throws Exception {
    ServiceConfig s = ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: %d
            probe: { type: tcp }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
        %s""".formatted(hostPort, lbYaml), "test").services().get(0);
    LbControl control = control(s);
    writer = on(() -> Future.succeededFuture(LbWriters.forService(vertx, new VertxTimers(vertx), s, listener, control)));
  }

  /** How the writer reaches HAProxy: itself here; through the apply helper in the subclass. */
  LbControl control(ServiceConfig service) throws Exception {
    return LbControl.local();
  }

  /** A set from "node=state" words, in that order. */
  private ServerSet set(String... servers) {
    List<Server> out = new ArrayList<>();
    for (String s : servers) {
      String[] kv = s.split("=");
      out.add(new Server(new Target("rsync-ssh", kv[0], NODES.get(kv[0]), hostPort), ServerState.valueOf(kv[1].toUpperCase())));
    }
    return new ServerSet(out, "test");
  }

  private ApplyResult apply(ServerSet set) throws Exception {
    return on(() -> writer.apply(set));
  }

  private List<String> expected(String... servers) {
    List<String> out = new ArrayList<>();
    for (String s : servers) {
      String[] kv = s.split("=");
      out.add(kv[0] + " " + NODES.get(kv[0]) + ":" + hostPort + " " + kv[1]);
    }
    return out;
  }

  /** The first apply meets the operator's own backend: a reload, after which one worker serves. */
  private void takeOver(String... servers) throws Exception {
    ApplyResult first = apply(set(servers));
    assertEquals(Outcome.APPLIED, first.outcome(), first.errors().toString());
    assertEquals("reload", first.method());
    assertEquals(expected(servers), haproxy.servers(), "the reload counts once HAProxy shows the servers");
    await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.workerPids().size() == 1);
  }

  @Test
  void aPodMoveANodeAddedAndANodeRemovedNeedNoReloadAndARestartKeepsThem() throws Exception {
    startWriter("");
    takeOver("copernicus=ready", "galileo=maint", "newton=maint");
    List<Long> worker = haproxy.workerPids();
    int reloads = haproxy.reloads();

    ApplyResult move = apply(set("copernicus=maint", "galileo=ready", "newton=maint"));
    assertEquals("runtime-api", move.method(), move.errors().toString());
    assertEquals(expected("copernicus=maint", "galileo=ready", "newton=maint"), haproxy.servers());
    assertEquals("galileo", new LbClient("127.0.0.1", haproxy.frontendPort(), 2000).connect().node());

    ApplyResult add = apply(set("copernicus=maint", "galileo=ready", "newton=maint", "kepler=ready"));
    assertEquals("runtime-api", add.method(), add.errors().toString());
    assertEquals(expected("copernicus=maint", "galileo=ready", "newton=maint", "kepler=ready"), haproxy.servers());

    ApplyResult remove = apply(set("copernicus=maint", "galileo=ready", "kepler=ready"));
    assertEquals("runtime-api", remove.method(), remove.errors().toString());
    assertEquals(expected("copernicus=maint", "galileo=ready", "kepler=ready"), haproxy.servers(),
        "newton had no connection: deleted at once");
    assertTrue(reports.contains("removed newton after draining"), reports.toString());

    assertEquals(worker, haproxy.workerPids(), "the same worker serves: no reload");
    assertEquals(reloads, haproxy.reloads());

    // The file follows, off the hot path; a restart from it brings back the same servers.
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(haproxy.lbFile()).contains("server kepler ")
        && !Files.readString(haproxy.lbFile()).contains("server newton "));
    assertTrue(reports.contains("file APPLIED"), reports.toString());
    List<String> before = haproxy.servers();
    haproxy.close();
    haproxy.start();
    assertEquals(before, haproxy.servers());
  }

  /**
   * A frontend with the backend's name (as the README's by-hand config has): the read-back of a
   * change still finds the backend's servers, so the change is applied live and said so, not
   * mistaken for a lost backend and found "unchanged" by a fresh read.
   */
  @Test
  void aFrontendWithTheBackendsNameDoesNotHideTheBackendFromTheReadBack() throws Exception {
    haproxy.close();
    Files.writeString(haproxy.mainConfig(), Files.readString(haproxy.mainConfig()).replace("frontend seed", "frontend rsync-ssh"));
    haproxy.start();
    startWriter("");
    takeOver("copernicus=ready", "galileo=maint", "newton=maint");
    ApplyResult move = apply(set("copernicus=maint", "galileo=ready", "newton=maint"));
    assertEquals(Outcome.APPLIED, move.outcome(), move.errors().toString());
    assertEquals("runtime-api", move.method(), move.errors().toString());
    assertEquals(expected("copernicus=maint", "galileo=ready", "newton=maint"), haproxy.servers());
  }

  /**
   * An agent restarted while HAProxy runs what it wants: its first apply finds nothing to change
   * and the file already right (a write that is done at once). The switches after it still reach
   * the file, so that HAProxy's next reload or restart does not bring back an old set. Restarted
   * a few times, as how soon that first write is done varies.
   */
  @Test
  void afterARestartThatFindsEverythingInPlaceTheFileStillFollowsTheSwitches() throws Exception {
    startWriter("");
    takeOver("copernicus=ready", "galileo=maint", "newton=maint");
    String galileoDisabled = "server galileo " + NODES.get("galileo") + ":" + hostPort + " disabled";
    for (int restart = 0; restart < 6; restart++) {
      boolean toGalileo = restart % 2 == 0;
      ServerSet now = toGalileo ? set("copernicus=ready", "galileo=maint", "newton=maint") : set("copernicus=maint", "galileo=ready", "newton=maint");
      ServerSet next = toGalileo ? set("copernicus=maint", "galileo=ready", "newton=maint") : set("copernicus=ready", "galileo=maint", "newton=maint");
      on(() -> writer.close());
      startWriter("");
      assertEquals(Outcome.UNCHANGED, apply(now).outcome(), "restart " + restart + ": HAProxy already runs it");
      assertEquals("runtime-api", apply(next).method());
      await("restart " + restart + ": the file follows the switch").atMost(Duration.ofSeconds(10))
          .until(() -> Files.readString(haproxy.lbFile()).contains(galileoDisabled) != toGalileo);
    }
  }

  /**
   * A fail-open and back while the file is being written (seen under load in a fleet rollout:
   * HAProxy's next reload brought back every node): the switch back is written after the write in
   * flight, so the file ends as HAProxy runs. The validate command is slowed to hold the write.
   */
  @Test
  void aSwitchBackWhileTheFileIsWrittenStillReachesTheFile() throws Exception {
    startWriterWith(haproxy.agentLbYaml().replace("validate: \"", "validate: \"sleep 0.5 && "));
    takeOver("copernicus=maint", "galileo=ready", "newton=maint");
    reports.clear();
    // The file follows at once (its first write), held half a second by the validate command:
    assertEquals("runtime-api", apply(set("copernicus=ready", "galileo=ready", "newton=ready")).method());
    assertEquals("runtime-api", apply(set("copernicus=maint", "galileo=ready", "newton=maint")).method(), "back while the file is written");
    assertEquals(List.of(), reports, "the first write was still in flight");
    String copernicusDisabled = "server copernicus " + NODES.get("copernicus") + ":" + hostPort + " disabled";
    await("the file ends as HAProxy runs").atMost(Duration.ofSeconds(10)).until(() -> reports.size() >= 2
        && Files.readString(haproxy.lbFile()).contains(copernicusDisabled));
    assertEquals(List.of("file APPLIED", "file APPLIED"), reports);
  }

  @Test
  void aBurstOfSwitchesCostsAtMostOneFileWriteASecondAndTheFileEndsWithTheLastSet() throws Exception {
    startWriter("");
    takeOver("copernicus=ready", "galileo=maint", "newton=maint");
    reports.clear();
    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      assertEquals("runtime-api", apply(i % 2 == 0 ? set("copernicus=maint", "galileo=ready", "newton=maint")
          : set("copernicus=ready", "galileo=maint", "newton=maint")).method());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(haproxy.lbFile()).contains("server copernicus ")
        && Files.readString(haproxy.lbFile()).contains("server galileo " + NODES.get("galileo") + ":" + hostPort + " disabled"));
    long writes = reports.stream().filter(r -> r.startsWith("file ")).count();
    assertTrue(writes <= 2 + (long) Math.ceil(seconds * 1000 / LbConfig.DEFAULT_MIN_RELOAD_INTERVAL.toMillis()),
        writes + " file writes for 20 switches in " + seconds + " s");
  }


  @Test
  void aLeavingNodeKeepsItsLongConnectionWhileItDrainsAndGoesWhenItCloses() throws Exception {
    startWriter("      drain-timeout: 1m\n");
    takeOver("copernicus=ready", "galileo=maint", "newton=maint");
    try (LbSession ssh = new LbSession(haproxy.frontendPort())) {
      assertEquals("copernicus", ssh.node());

      ApplyResult leave = apply(set("galileo=ready", "newton=maint"));
      assertEquals("runtime-api", leave.method(), leave.errors().toString());
      assertTrue(haproxy.servers().contains(expected("copernicus=drain").get(0)), haproxy.servers().toString());
      LbClient client = new LbClient("127.0.0.1", haproxy.frontendPort(), 2000);
      for (int i = 0; i < 10; i++) {
        assertEquals("galileo", client.connect().node(), "no new connection goes to the draining node");
      }
      assertEquals("copernicus", ssh.node(), "the long connection stays on its node while it drains");
      assertTrue(haproxy.servers().stream().anyMatch(s -> s.startsWith("copernicus ")), "kept while it has a connection");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> reports.contains("removed copernicus after draining"));
    assertEquals(expected("galileo=ready", "newton=maint"), haproxy.servers());
  }

  @Test
  void atTheDrainTimeoutTheConnectionIsShutAndTheServerGoes() throws Exception {
    startWriter("      drain-timeout: 500ms\n");
    takeOver("copernicus=ready", "galileo=ready");
    try (LbSession ssh = new LbSession(haproxy.frontendPort()); LbSession other = new LbSession(haproxy.frontendPort())) {
      LbSession onCopernicus = "copernicus".equals(ssh.node()) ? ssh : other;
      if (onCopernicus == other) {
        assertEquals("copernicus", other.node());
      }
      apply(set("galileo=ready"));
      await().atMost(Duration.ofSeconds(10)).until(() -> reports.contains("removed copernicus at the drain timeout"));
      assertEquals(expected("galileo=ready"), haproxy.servers());
      assertEquals(null, onCopernicus.node(), "the connection was shut at the drain timeout");
    }
  }

  @Test
  void aServerPutInMaintByHandIsBroughtBackAndTheDriftIsReported() throws Exception {
    startWriter("      drift-check: 200ms\n");
    takeOver("copernicus=ready", "galileo=ready");
    haproxy.runtime("set server rsync-ssh/galileo state maint");
    await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.servers().equals(expected("copernicus=ready", "galileo=ready")));
    assertTrue(reports.contains("drift [galileo: maint, wanted ready] corrected"), reports.toString());
  }

  @Test
  void reportOnlyLeavesTheHandMadeChangeAndSaysSo() throws Exception {
    startWriter("      drift-check: 200ms\n      on-drift: report\n");
    takeOver("copernicus=ready", "galileo=ready");
    haproxy.runtime("set server rsync-ssh/galileo state maint");
    await().atMost(Duration.ofSeconds(5)).until(() -> reports.contains("drift [galileo: maint, wanted ready] reported"));
    assertEquals(expected("copernicus=ready", "galileo=maint"), haproxy.servers());
  }

  @Test
  void aReloadThatExitsZeroButIsNeverLoadedIsAFailureNotAnApply() throws Exception {
    // As under systemd when HAProxy's master re-executes with arguments that skip the folder:
    // the reload command succeeds, HAProxy never loads the agent's file.
    startWriterWith(haproxy.agentLbYaml().replace(haproxy.reloadCommand(), "true") + "      command-timeout: 1s\n");
    ApplyResult result = apply(set("copernicus=ready", "galileo=maint", "newton=maint"));
    assertEquals(Outcome.FAILED, result.outcome(), result.errors().toString());
    assertTrue(result.errors().get(1).startsWith("the reload command succeeded, but HAProxy did not load " + haproxy.lbFile()),
        result.errors().toString());
    assertTrue(result.errors().get(1).contains("server galileo ready"), "says what HAProxy still runs: " + result.errors());
  }

  @Test
  void aMissingSocketFallsBackToAReloadAndSaysWhy() throws Exception {
    Path missing = dir.resolve("no-such.sock");
    startWriter(missing, "");
    int reloads = haproxy.reloads();
    ApplyResult result = apply(set("copernicus=maint", "galileo=ready", "newton=maint"));
    assertEquals(Outcome.APPLIED, result.outcome(), result.errors().toString());
    assertEquals("reload", result.method());
    assertTrue(result.errors().get(0).contains("runtime API " + missing + ": "), result.errors().toString());
    assertTrue(result.errors().get(0).endsWith("; fell back to a reload"), result.errors().toString());
    await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.reloads() == reloads + 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.servers().equals(expected("copernicus=maint", "galileo=ready", "newton=maint")));
  }

  @Test
  void aSocketAnsweringGarbageFallsBackToAReload() throws Exception {
    Path socket = dir.resolve("garbage.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread talker = new Thread(() -> {
        try {
          while (true) {
            try (SocketChannel c = server.accept()) {
              c.read(ByteBuffer.allocate(4096));
              c.write(ByteBuffer.wrap("garbage, not HAProxy\n".getBytes(StandardCharsets.US_ASCII)));
            }
          }
        } catch (Exception closed) {
          // the test is over
        }
      });
      talker.start();
      startWriter(socket, "");
      ApplyResult result = apply(set("copernicus=ready", "galileo=maint", "newton=maint"));
      assertEquals(Outcome.APPLIED, result.outcome(), result.errors().toString());
      assertEquals("reload", result.method());
      assertTrue(result.errors().get(0).contains("garbage, not HAProxy"), "the socket's words are named: " + result.errors());
      await().atMost(Duration.ofSeconds(5)).until(() -> haproxy.servers().equals(expected("copernicus=ready", "galileo=maint", "newton=maint")));
    }
  }
}
