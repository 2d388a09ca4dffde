package dev.lbhealth.agent.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The same probes on Netty's native epoll transport, which the agent runs on where it loads. */
class NativeTransportProbesTest extends ProbesTest {
  @Override
  Vertx newVertx() {
    return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  }

  @BeforeEach
  void onEpoll() {
    assertTrue(vertx().isNativeTransportEnabled(), "the native transport loads on this machine: " + vertx().unavailableNativeTransportCause());
    assertTrue(new ConnectProbe(vertx(), null).onEpoll(), "tcp probes go through raw sockets in an epoll set of their own");
  }

  /**
   * Probes out at once with two timeouts (a target's first probes have a longer one) share one
   * deadline check: each silent node times out after its own timeout, never before; an open port
   * among them answers at once; and once all have ended, none is held.
   */
  @Test
  void probesOfMixedTimeoutsEachTimeOutOnTheirOwnDeadline() throws Exception {
    try (Blackhole hole = new Blackhole("127.0.0.2");
        ServerSocket open = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.3"))) {
      Target silent = new Target("s", "copernicus", "127.0.0.2", hole.port());
      Target answering = new Target("s", "galileo", "127.0.0.3", open.getLocalPort());
      ConnectProbe probe = new ConnectProbe(vertx(), null);
      List<Duration> timeouts = List.of(Duration.ofMillis(600), Duration.ofMillis(200), Duration.ofMillis(600), Duration.ofMillis(200));
      List<Future<ProbeResult>> silentResults = new ArrayList<>();
      Promise<ProbeResult> answered = Promise.promise();
      Promise<Void> started = Promise.promise();
      vertx().runOnContext(v -> {
        for (Duration timeout : timeouts) {
          silentResults.add(probe.check(silent, timeout));
        }
        probe.check(answering, Duration.ofMillis(600)).onComplete(answered);
        started.complete();
      });
      await(started.future());
      assertTrue(await(answered.future()).healthy(), "an open port among silent ones is up at once");
      for (int i = 0; i < timeouts.size(); i++) {
        ProbeResult r = await(silentResults.get(i));
        long timeoutMs = timeouts.get(i).toMillis();
        assertFalse(r.healthy());
        assertEquals("timeout after " + timeoutMs + "ms", r.detail());
        assertTrue(r.latencyNanos() >= TimeUnit.MILLISECONDS.toNanos(timeoutMs), "probe " + i + " waited its own timeout: " + r.latencyNanos());
      }
      Promise<Integer> held = Promise.promise();
      vertx().runOnContext(v -> held.complete(probe.probesHeld()));
      assertEquals(0, await(held.future()), "no probe is held once all have ended");
    }
  }

  /**
   * A thousand probes out at once, twice over, all answer: their sockets are ready together, so the
   * probes' own epoll set is read in several rounds, and the second wave reuses the first's
   * descriptors; none is taken for another's, and none is held afterwards.
   */
  @Test
  void aThousandProbesAtOnceAllAnswerTwiceOver() throws Exception {
    try (ServerSocket open = new ServerSocket(0, 2048, InetAddress.getByName("127.0.0.3"))) {
      Target answering = new Target("s", "galileo", "127.0.0.3", open.getLocalPort());
      ConnectProbe probe = new ConnectProbe(vertx(), null);
      for (int wave = 0; wave < 2; wave++) {
        List<Future<ProbeResult>> results = new ArrayList<>();
        Promise<Void> started = Promise.promise();
        vertx().runOnContext(v -> {
          for (int i = 0; i < 1000; i++) {
            results.add(probe.check(answering, Duration.ofSeconds(5)));
          }
          started.complete();
        });
        await(started.future());
        for (Future<ProbeResult> r : results) {
          ProbeResult result = await(r);
          assertTrue(result.healthy(), "wave " + wave + ": " + result);
        }
        Promise<Integer> held = Promise.promise();
        vertx().runOnContext(v -> held.complete(probe.probesHeld()));
        assertEquals(0, await(held.future()), "no probe is held once all have ended");
      }
    }
  }
}
