package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reload budget against a real nginx: a node whose port opens and closes at 10 Hz makes its
 * health flip again and again, yet nginx reloads at most once per lb.min-reload-interval (1 s).
 */
class FlappingNodeTest {
  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aFlappingNodeCostsNginxAtMostOneReloadASecond() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SeedScenario seed = new SeedScenario(vertx, dir, Kind.NGINX, SeedScenario.freePort(), SeedScenario.freePort())) {
      get(seed.pod("copernicus").start());
      seed.writeUnmanagedBackend();
      seed.lb().start();
      AtomicInteger transitions = new AtomicInteger();
      vertx.eventBus().<JsonObject>localConsumer(dev.lbhealth.agent.status.StatusServer.EVENTS, m -> {
        if ("health".equals(m.body().getString("type"))) {
          transitions.incrementAndGet();
        }
      });
      Agent agent = new Agent(seed.agentConfig("no-nodes"));
      get(vertx.deployVerticle(agent));
      await().atMost(Duration.ofSeconds(10)).until(agent::firstApplyDone);
      await().atMost(Duration.ofSeconds(3)).until(() -> seed.lb().reloads() >= 1);

      PretendPod galileo = seed.pod("galileo");
      int reloadsBefore = seed.lb().reloads();
      int transitionsBefore = transitions.get();
      long start = System.nanoTime();
      boolean up = false;
      while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
        get(up ? galileo.stop() : galileo.start()); // the port opens and closes at 10 Hz
        up = !up;
        long next = start + TimeUnit.MILLISECONDS.toNanos(50) * (1 + (System.nanoTime() - start) / TimeUnit.MILLISECONDS.toNanos(50));
        java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      int reloads = seed.lb().reloads() - reloadsBefore;
      int flips = transitions.get() - transitionsBefore;
      System.out.printf("10 Hz flap for %.1f s: %d health changes, %d nginx reloads%n", seconds, flips, reloads);
      long budget = (long) Math.ceil(seconds) + 2;
      assertTrue(flips > 2 * budget, "the node did flap (" + flips + " health changes): without a budget, as many reloads");
      assertTrue(reloads <= budget, reloads + " reloads in " + seconds + " s; at most " + budget);
    } finally {
      get(vertx.close());
    }
  }
}
