package dev.lbhealth.agent.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ProbeConfig;
import dev.lbhealth.agent.config.ProbeConfig.Type;
import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetServerOptions;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every probe kind on every transport the agent may run on (Netty's native epoll, which the agent
 * prefers, and NIO, where epoll does not load), with the timing the shipped example config gives
 * the seed's service (interval 80 ms, timeout 60 ms): against a local pod, every probe is up and
 * answers within a few ms of a plain connect. A probe that the transport slows past its timeout
 * makes a healthy node read as down, and the service falls open.
 */
class ProbeTimingMatrixTest {
  /** The example config the operator copies: its probe timing is what this test holds the probes to. */
  private static final Path SHIPPED = Path.of("config/haproxy-seed.yaml");
  private static final int MEASURED = 30;

  @TempDir Path dir;
  private Vertx agent;
  private final Vertx pods = Vertx.vertx();

  static Stream<Arguments> matrix() {
    List<Arguments> all = new ArrayList<>();
    for (String transport : List.of("epoll", "nio")) {
      for (Type type : Type.values()) {
        all.add(Arguments.of(transport, type));
      }
    }
    return all.stream();
  }

  @AfterEach
  void close() throws Exception {
    if (agent != null) {
      await(agent.close());
    }
    await(pods.close());
  }

  @ParameterizedTest(name = "{1} probe on {0}")
  @MethodSource("matrix")
  void everyProbeKindAnswersWithinAFewMsOfAPlainConnect(String transport, Type type) throws Exception {
    agent = Vertx.vertx(new VertxOptions().setPreferNativeTransport(transport.equals("epoll")));
    assertEquals(transport.equals("epoll"), agent.isNativeTransportEnabled(),
        "transport " + transport + " in use (" + agent.unavailableNativeTransportCause() + ")");
    // The shipped file as it is, but for the LB folder (an LB box's /etc/haproxy/conf.d).
    ProbeConfig shipped = ConfigLoader.parse(Files.readString(SHIPPED).replace("/etc/haproxy/conf.d/", dir + "/"), SHIPPED.toString())
        .services().get(0).probe();
    assertEquals(Duration.ofMillis(60), shipped.timeout(), "the timing this test holds probes to is the shipped one");
    ProbeConfig config = new ProbeConfig(type, shipped.interval(), shipped.timeout(), shipped.rise(), shipped.fall(),
        shipped.jitter(), "SSH-2.0-", "/healthz", 200, shipped.damping(), shipped.fastInterval());
    int port = pod(type);
    Target target = new Target("rsync-ssh", "copernicus", "127.0.0.2", port);
    long plain = median(plainConnects(port));

    Probe probe = Probes.create(agent, config);
    try {
      // A target's first probes get the start-up timeout, as in the agent: classes load meanwhile.
      for (int i = 0; i < 3; i++) {
        check(probe, target, Probe.STARTUP_TIMEOUT);
      }
      List<Long> latencies = new ArrayList<>();
      for (int i = 0; i < MEASURED; i++) {
        ProbeResult r = check(probe, target, config.timeout());
        assertTrue(r.healthy(), type + " probe " + i + " on " + transport + " with the shipped " + config.timeout().toMillis()
            + " ms timeout: " + r.detail() + " (a plain connect takes " + plain / 1000 + " us)");
        latencies.add(r.latencyNanos());
      }
      long median = median(latencies);
      System.out.printf("[%s %s] plain connect %.2f ms, probe median %.2f ms, max %.2f ms%n", transport, type,
          plain / 1e6, median / 1e6, Collections.max(latencies) / 1e6);
      assertTrue(median < plain + TimeUnit.MILLISECONDS.toNanos(10),
          type + " on " + transport + ": median " + median / 1000 + " us against a plain connect's " + plain / 1000 + " us");
    } finally {
      await(probe.close());
    }
  }

  /** A pod on 127.0.0.2 on its own (NIO) Vert.x: sshd-like (it speaks first), an HTTP server, or a plain listener. */
  private int pod(Type type) throws Exception {
    if (type == Type.HTTP) {
      return await(pods.createHttpServer().requestHandler(req -> req.response().setStatusCode(200).end("ok"))
          .listen(0, "127.0.0.2")).actualPort();
    }
    return await(pods.createNetServer(new NetServerOptions().setHost("127.0.0.2").setPort(0)).connectHandler(s -> {
      s.exceptionHandler(e -> s.close());
      if (type == Type.BANNER) {
        s.write("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.1\r\n");
      }
    }).listen()).actualPort();
  }

  /** Connect times of a blocking JDK socket to the pod: the floor the probes are compared with. */
  private static List<Long> plainConnects(int port) throws Exception {
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      try (Socket s = new Socket()) {
        long start = System.nanoTime();
        s.connect(new InetSocketAddress("127.0.0.2", port), 1000);
        times.add(System.nanoTime() - start);
      }
    }
    return times.subList(5, times.size());
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  /** One probe from the agent Vert.x's context, as the agent calls them. */
  private ProbeResult check(Probe probe, Target target, Duration timeout) throws Exception {
    Promise<ProbeResult> result = Promise.promise();
    agent.runOnContext(v -> probe.check(target, timeout).onComplete(result));
    return await(result.future());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
