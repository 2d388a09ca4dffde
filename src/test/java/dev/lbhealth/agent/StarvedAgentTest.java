package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.status.StatusServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent is never the outage: held up again and again (its event loop blocked for 300 ms, as a
 * long GC pause or a slow handler would), with strict settings (fall 1, a 40 ms timeout), it
 * takes no healthy node out, and says it is overloaded.
 */
class StarvedAgentTest {
  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aHeldUpAgentTakesNoHealthyNodeOutAndSaysItIsOverloaded() throws Exception {
    Vertx vertx = Vertx.vertx();
    Vertx pods = Vertx.vertx(); // other machines: not held up with the agent
    try {
      int port = SeedScenario.freePort();
      for (String[] node : new String[][] {{"copernicus", "127.0.0.2"}, {"galileo", "127.0.0.3"}, {"newton", "127.0.0.4"}}) {
        get(new PretendPod(pods, node[0], node[1], port).start());
      }
      Agent agent = new Agent(ConfigLoader.parse("""
          status: { port: 0 }
          services:
            - name: rsync-ssh
              port: %d
              probe: { type: banner, expect: "SSH-2.0-", interval: 50ms, timeout: 40ms, rise: 1, fall: 1, damping: off }
              nodes:
                - { name: copernicus, address: 127.0.0.2 }
                - { name: galileo, address: 127.0.0.3 }
                - { name: newton, address: 127.0.0.4 }
              lb: { file: %s/rsync-ssh.cfg, validate: "true", reload: "true" }
          """.formatted(port, dir), "test"));
      List<String> wentDown = new CopyOnWriteArrayList<>();
      vertx.eventBus().<JsonObject>localConsumer(StatusServer.EVENTS, m -> {
        JsonObject e = m.body();
        if ("health".equals(e.getString("type")) && "down".equals(e.getJsonObject("node").getString("health"))) {
          wentDown.add(e.getJsonObject("node").getString("name"));
        }
      });
      agent.followEvents(); // the consumer above reads the events on the bus
      get(vertx.deployVerticle(agent));
      await().atMost(Duration.ofSeconds(10)).until(agent::firstApplyDone);

      for (int i = 0; i < 15; i++) {
        agent.agentContext().runOnContext(v -> {
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
          while (System.nanoTime() < end) {
            Thread.onSpinWait(); // the agent held up: a stop-the-world pause, a handler that blocks
          }
        });
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(400));
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> agent.status().getJsonArray("services").getJsonObject(0)
          .getJsonArray("nodes").stream().allMatch(n -> ((JsonObject) n).getLong("consecutiveSuccesses", 0L) > 3));

      long inconclusive = agent.status().getJsonArray("services").getJsonObject(0).getJsonArray("nodes").stream()
          .mapToLong(n -> ((JsonObject) n).getLong("inconclusiveProbes", 0L)).sum();
      System.out.printf("15 stalls of 300 ms: %d probe timeouts not counted, nodes that went down: %s%n", inconclusive, wentDown);
      assertEquals(List.of(), wentDown, "no healthy node went down");
      assertTrue(agent.warnings().stream().anyMatch(w -> w.startsWith("agent overloaded: its event loop was held up for")),
          agent.warnings().toString());
    } finally {
      get(vertx.close());
      get(pods.close());
    }
  }
}
