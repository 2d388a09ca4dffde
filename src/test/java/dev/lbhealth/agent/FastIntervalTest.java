package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.status.AgentMetrics;
import dev.lbhealth.agent.systemd.SystemdNotifier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HAProxy's fastinter: a steady node is probed at the normal interval (here 5 s), but once the
 * service has no healthy node every node is probed at the fast interval (50 ms), so a pod that
 * comes up anywhere gets traffic at once, with few probes in steady state.
 */
class FastIntervalTest {
  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The node's probes as /metrics shows them (up and down). */
  private static double probes(AgentMetrics metrics, String node) {
    return ((io.micrometer.prometheusmetrics.PrometheusMeterRegistry) metrics.registry()).scrape().lines()
        .filter(l -> l.startsWith("lb_agent_probes_total{") && l.contains("node=\"" + node + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void aServiceWithNoHealthyNodeIsProbedFastAndASteadyOneAtTheNormalInterval() throws Exception {
    Vertx vertx = Vertx.vertx();
    Vertx pods = Vertx.vertx();
    try {
      int port = SeedScenario.freePort();
      PretendPod copernicus = new PretendPod(pods, "copernicus", "127.0.0.2", port);
      PretendPod newton = new PretendPod(pods, "newton", "127.0.0.4", port);
      get(copernicus.start());
      AgentMetrics metrics = AgentMetrics.prometheus();
      Agent agent = new Agent(ConfigLoader.parse("""
          status: { port: 0 }
          services:
            - name: rsync-ssh
              port: %d
              probe: { type: banner, expect: "SSH-2.0-", interval: 5s, fast-interval: 50ms, timeout: 40ms, rise: 1, fall: 1, damping: off }
              when-empty: no-nodes
              nodes:
                - { name: copernicus, address: 127.0.0.2 }
                - { name: galileo, address: 127.0.0.3 }
                - { name: newton, address: 127.0.0.4 }
              lb: { file: %s/rsync-ssh.cfg, validate: "true", reload: "true" }
          """.formatted(port, dir), "test"), SystemdNotifier.fromEnvironment(Map.of()), metrics, dev.lbhealth.agent.apply.LbControl.local());
      get(vertx.deployVerticle(agent));
      await().atMost(Duration.ofSeconds(10)).until(agent::firstApplyDone);

      // Steady: copernicus serves, newton is down and stays so: the normal 5 s interval.
      await().atMost(Duration.ofSeconds(5)).until(() -> probes(metrics, "newton") >= 1);
      double before = probes(metrics, "newton");
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
      double steady = probes(metrics, "newton") - before;
      assertTrue(steady <= 1, steady + " probes of a steady down node in 2 s at a 5 s interval");

      // No healthy node: every node at the fast interval; the pod that comes up on newton is found at once.
      get(copernicus.stop());
      // Its next probe is due within the normal 5 s interval; then it fails, and the service has no healthy node.
      await().atMost(Duration.ofSeconds(8)).until(() -> !inRotation(agent, "copernicus"));
      get(newton.start());
      long listening = System.nanoTime();
      await().atMost(Duration.ofMillis(1500)).until(() -> inRotation(agent, "newton"));
      System.out.printf("steady: %.0f probes of newton in 2 s; no healthy node: newton in rotation %.0f ms after it listened%n",
          steady, (System.nanoTime() - listening) / 1e6);
    } finally {
      get(vertx.close());
      get(pods.close());
    }
  }

  private static boolean inRotation(Agent agent, String node) {
    var set = agent.status().getJsonArray("services").getJsonObject(0).getJsonObject("serverSet");
    return set != null && set.getJsonArray("active").contains(node);
  }
}
