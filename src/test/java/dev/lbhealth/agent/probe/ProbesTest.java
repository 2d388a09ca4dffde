package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.config.DampingConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ProbeConfig;
import dev.lbhealth.agent.config.ProbeConfig.Type;
import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each probe kind against real loopback listeners, on Vert.x's NIO transport (the native one: {@link NativeTransportProbesTest}). */
class ProbesTest {
  private final Vertx vertx = newVertx();

  Vertx newVertx() {
    return Vertx.vertx();
  }

  Vertx vertx() {
    return vertx;
  }

  @AfterEach
  void close() throws Exception {
    await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Generous, so that a slow first connection in a busy JVM does not read as a failure. */
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  private ProbeResult check(Type type, String expect, String path, int port) throws Exception {
    return check(type, expect, path, port, TIMEOUT);
  }

  private ProbeResult check(Type type, String expect, String path, int port, Duration timeout) throws Exception {
    ProbeConfig config = new ProbeConfig(type, timeout.multipliedBy(2), timeout, 1, 1, 0, expect, path, 200, DampingConfig.OFF, null);
    Probe probe = Probes.create(vertx, config);
    try {
      return checkOnContext(probe, new Target("s", "copernicus", "127.0.0.2", port), config.timeout());
    } finally {
      await(probe.close());
    }
  }

  /**
   * One check on a Vert.x context, as the agent calls probes: from a foreign thread a greeting
   * sent at once could arrive before the probe's data handler is set.
   */
  private ProbeResult checkOnContext(Probe probe, Target target, Duration timeout) throws Exception {
    io.vertx.core.Promise<ProbeResult> result = io.vertx.core.Promise.promise();
    vertx.runOnContext(v -> probe.check(target, timeout).onComplete(result));
    return await(result.future());
  }

  private int greeter(String greeting) throws Exception {
    NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.2").setPort(0));
    server.connectHandler(s -> {
      if (greeting != null) {
        s.write(greeting);
      }
    });
    return await(server.listen()).actualPort();
  }

  @Test
  void aTargetOfUnknownHealthGetsTheStartupTimeout() {
    ProbeConfig fast = new ProbeConfig(Type.TCP, Duration.ofMillis(100), Duration.ofMillis(60), 1, 2, 0, null, null, 200, DampingConfig.OFF, null);
    assertEquals(Duration.ofSeconds(1), Probes.timeout(fast, false));
    assertEquals(Duration.ofMillis(60), Probes.timeout(fast, true));
    ProbeConfig slow = new ProbeConfig(Type.TCP, Duration.ofSeconds(5), Duration.ofSeconds(2), 1, 2, 0, null, null, 200, DampingConfig.OFF, null);
    assertEquals(Duration.ofSeconds(2), Probes.timeout(slow, false));
  }

  @Test
  void tcpIsUpWhenThePortAccepts() throws Exception {
    ProbeResult r = check(Type.TCP, null, null, greeter(null));
    assertTrue(r.healthy(), r.detail());
  }

  @Test
  void probesCloseTheirConnections() throws Exception {
    java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
    NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.2").setPort(0));
    server.connectHandler(s -> {
      open.incrementAndGet();
      s.closeHandler(v -> open.decrementAndGet());
      s.write("SSH-2.0-OpenSSH_8.2p1\r\n");
    });
    int port = await(server.listen()).actualPort();
    Target target = new Target("s", "copernicus", "127.0.0.2", port);
    // Banner probes hold a real connection; tcp probes never open one the application sees
    // (aTcpProbeNeverReachesTheNodesApplication).
    for (Type type : new Type[] {Type.BANNER}) {
      // One probe for many checks, as the agent keeps it: each check must close what it opened.
      Probe probe = Probes.create(vertx, new ProbeConfig(type, Duration.ofSeconds(1), TIMEOUT, 1, 1, 0,
          type == Type.BANNER ? "SSH-2.0-" : null, null, 200, DampingConfig.OFF, null));
      for (int i = 0; i < 20; i++) {
        assertTrue(checkOnContext(probe, target, TIMEOUT).healthy());
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> open.get() == 0);
      await(probe.close());
    }
  }

  @Test
  void tcpProbesLeaveNoTimeWaitSocketsBehind() throws Exception {
    // As HAProxy's check: connect, then close with a reset. 10,000 probes a second closed with a
    // FIN would keep some 600,000 sockets in TIME_WAIT on the LB box.
    int port = greeter(null);
    Target target = new Target("s", "copernicus", "127.0.0.2", port);
    Probe probe = tcpProbe();
    for (int i = 0; i < 50; i++) {
      assertTrue(checkOnContext(probe, target, TIMEOUT).healthy());
    }
    await(probe.close());
    assertEquals(0, timeWait(port), "sockets in TIME_WAIT to or from port " + port);
  }

  @Test
  void aTcpProbeNeverReachesTheNodesApplication() throws Exception {
    // As HAProxy's check: the reset goes before the handshake's last ACK, so the pod's kernel
    // answers (the port is open) but its application accepts nothing: sshd logs no "connection
    // closed" per probe. A probe held up past the delayed-ACK timer (40 ms) on a busy machine
    // may be accepted now and then; a full connect would be accepted every time.
    java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.2").setPort(0));
    server.connectHandler(socket -> {
      accepted.incrementAndGet();
      socket.close();
    });
    int port = await(server.listen()).actualPort();
    Probe probe = tcpProbe();
    Target target = new Target("s", "copernicus", "127.0.0.2", port);
    for (int i = 0; i < 50; i++) {
      assertTrue(checkOnContext(probe, target, TIMEOUT).healthy());
    }
    await(probe.close());
    // A last full connection: once the application has it, any probe it accepted came before.
    try (java.net.Socket full = new java.net.Socket("127.0.0.2", port)) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> accepted.get() >= 1);
    }
    assertTrue(accepted.get() - 1 <= 5, (accepted.get() - 1) + " of 50 probes reached the application");
  }

  @Test
  void aNodeGivenByNameIsProbedToo() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      Probe probe = tcpProbe();
      ProbeResult r = checkOnContext(probe, new Target("s", "copernicus", "localhost", s.getLocalPort()), TIMEOUT);
      await(probe.close());
      assertTrue(r.healthy(), r.detail());
    }
  }

  @Test
  void anIpv6NodeIsProbedOnAnIpv6Socket() throws Exception {
    java.net.ServerSocket s;
    try {
      s = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("::1"));
    } catch (java.io.IOException e) {
      org.junit.jupiter.api.Assumptions.abort("this machine has no IPv6 loopback: " + e.getMessage());
      return;
    }
    try (s) {
      Probe probe = tcpProbe();
      ProbeResult up = checkOnContext(probe, new Target("s", "copernicus", "::1", s.getLocalPort()), TIMEOUT);
      assertTrue(up.healthy(), up.detail());
      s.close();
      ProbeResult refused = checkOnContext(probe, new Target("s", "copernicus", "::1", s.getLocalPort()), TIMEOUT);
      await(probe.close());
      assertEquals("connection refused", refused.detail());
    }
  }

  /** A tcp probe as the agent keeps one: made once, used for many checks. */
  private Probe tcpProbe() {
    return Probes.create(vertx, new ProbeConfig(Type.TCP, Duration.ofSeconds(1), TIMEOUT, 1, 1, 0, null, null, 200,
        DampingConfig.OFF, null));
  }

  /** Sockets in TIME_WAIT (state 06 in /proc/net/tcp and tcp6: Java's sockets may be IPv6 ones) with {@code port} at either end. */
  private static long timeWait(int port) throws Exception {
    String hex = String.format(":%04X", port);
    long n = 0;
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      n += java.nio.file.Files.readAllLines(java.nio.file.Path.of(table)).stream().skip(1)
          .map(line -> line.trim().split("\\s+"))
          .filter(f -> f[3].equals("06") && (f[1].endsWith(hex) || f[2].endsWith(hex)))
          .count();
    }
    return n;
  }

  @Test
  void tcpIsDownWhenRefused() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
      int port = s.getLocalPort();
      s.close();
      ProbeResult r = check(Type.TCP, null, null, port);
      assertFalse(r.healthy());
      assertEquals("connection refused", r.detail());
    }
  }

  @Test
  void tcpTimesOutOnABlackholedNode() throws Exception {
    try (Blackhole hole = new Blackhole("127.0.0.2")) {
      ProbeResult r = check(Type.TCP, null, null, hole.port(), Duration.ofMillis(300));
      assertFalse(r.healthy());
      assertTrue(r.detail().contains("timed out") || r.detail().startsWith("timeout after 300ms"), r.detail());
      assertTrue(r.latencyNanos() >= TimeUnit.MILLISECONDS.toNanos(250), "waited for the timeout: " + r.latencyNanos());
    }
  }

  @Test
  void bannerIsUpOnlyForTheExpectedGreeting() throws Exception {
    assertTrue(check(Type.BANNER, "SSH-2.0-", null, greeter("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.1\r\n")).healthy());
    ProbeResult wrong = check(Type.BANNER, "SSH-2.0-", null, greeter("HTTP/1.1 400 Bad Request\r\n"));
    assertFalse(wrong.healthy());
    assertEquals("banner 'HTTP/1.1 400 Bad Request??' does not start with 'SSH-2.0-'", wrong.detail());
  }

  @Test
  void bannerWaitsForAGreetingSplitOverPackets() throws Exception {
    NetServer server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.2").setPort(0));
    server.connectHandler(s -> {
      s.write("SSH-");
      vertx.setTimer(50, t -> s.write("2.0-OpenSSH\r\n"));
    });
    assertTrue(check(Type.BANNER, "SSH-2.0-", null, await(server.listen()).actualPort()).healthy());
  }

  @Test
  void bannerIsDownWhenThePortStaysSilent() throws Exception {
    ProbeResult r = check(Type.BANNER, "SSH-2.0-", null, greeter(null), Duration.ofMillis(300));
    assertFalse(r.healthy());
    assertEquals("timeout after 300ms", r.detail());
  }

  @Test
  void httpExpectsTheConfiguredStatus() throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(req ->
        req.response().setStatusCode(req.path().equals("/healthz") ? 200 : 503).end());
    int port = await(server.listen(0, "127.0.0.2")).actualPort();
    assertTrue(check(Type.HTTP, null, "/healthz", port).healthy());
    ProbeResult r = check(Type.HTTP, null, "/other", port);
    assertFalse(r.healthy());
    assertEquals("HTTP 503, expected 200", r.detail());
  }
}
