package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.demo.NginxProcess;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.status.StatusServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose port opens and closes at 10 Hz (galileo; copernicus serves steadily) against the
 * real LBs: the reload budget holds nginx to one reload a second and HAProxy to one file write a
 * second (and no reload), the old-worker cap holds nginx's draining workers while clients keep
 * long connections open, and flap damping holds the flapping node out until it is stable.
 */
class FlappingNodeTest {
  private static final int MAX_DRAINING = 3;
  /**
   * Probes at the plain interval: a node in transition is otherwise probed at the fast interval,
   * which settles a 10 Hz flap into fewer health changes, and these tests need it to reach the
   * budget, the cap and the damping as often as a flap can.
   */
  private static final String STEADY = "      fast-interval: 80ms\n";

  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** What one flap run saw. */
  private record Run(double seconds, int flips, int reloads, int fileWrites, int maxOldWorkers, boolean sawHeld, boolean sawDamped) {}

  /** Runs the seed scenario with {@code extraProbe} and {@code extraLb} lines, galileo flapping for {@code seconds}. */
  private Run flap(Vertx vertx, SeedScenario seed, String extraProbe, String extraLb, int seconds, boolean openClients,
      AfterFlap after) throws Exception {
    get(seed.pod("copernicus").start());
    seed.writeUnmanagedBackend();
    seed.lb().start();
    AtomicInteger flips = new AtomicInteger();
    AtomicInteger fileWrites = new AtomicInteger();
    vertx.eventBus().<JsonObject>localConsumer(StatusServer.EVENTS, m -> {
      String type = m.body().getString("type");
      if ("health".equals(type)) {
        flips.incrementAndGet();
      } else if ("file".equals(type) && "applied".equals(m.body().getJsonObject("file").getString("outcome"))) {
        fileWrites.incrementAndGet();
      }
    });
    String yaml = seed.agentConfigYaml("no-nodes")
        .replace("      jitter: 0.1\n", "      jitter: 0.1\n" + extraProbe)
        .replace("    lb:\n", "    lb:\n" + extraLb);
    Agent agent = new Agent(ConfigLoader.parse(yaml, "flap test"));
    agent.followEvents(); // the consumer above reads the events on the bus
    get(vertx.deployVerticle(agent));
    await().atMost(Duration.ofSeconds(10)).until(agent::firstApplyDone);

    PretendPod galileo = seed.pod("galileo");
    int reloadsBefore = seed.lb().reloads();
    int flipsBefore = flips.get();
    int writesBefore = fileWrites.get();
    List<Socket> clients = new ArrayList<>();
    int maxOld = 0;
    boolean sawHeld = false;
    boolean sawDamped = false;
    long start = System.nanoTime();
    long tick = TimeUnit.MILLISECONDS.toNanos(50);
    try {
      for (int i = 0; System.nanoTime() - start < TimeUnit.SECONDS.toNanos(seconds); i++) {
        get(i % 2 == 0 ? galileo.start() : galileo.stop()); // the port opens and closes at 10 Hz
        if (i % 5 == 0) {
          if (openClients) {
            clients.add(new Socket("127.0.0.1", seed.lb().frontendPort())); // a long session on the current workers
          }
          if (seed.lb() instanceof NginxProcess nginx) {
            maxOld = Math.max(maxOld, nginx.oldWorkers());
          }
          JsonObject status = agent.status();
          sawHeld |= status.encode().contains("apply held");
          sawDamped |= status.encode().contains("\"damped\":true");
        }
        LockSupport.parkNanos(Math.max(0, start + tick * (i + 1) - System.nanoTime()));
      }
      double took = (System.nanoTime() - start) / 1e9;
      get(galileo.start());
      after.check(agent);
      return new Run(took, flips.get() - flipsBefore, seed.lb().reloads() - reloadsBefore, fileWrites.get() - writesBefore,
          maxOld, sawHeld || agent.warnings().toString().contains("apply held"), sawDamped);
    } finally {
      for (Socket s : clients) {
        s.close();
      }
    }
  }

  private interface AfterFlap {
    void check(Agent agent) throws Exception;
  }

  private static boolean inRotation(Agent agent, String node) {
    return agent.status().encode().contains("\"name\":\"" + node + "\"")
        && agent.status().getJsonArray("services").getJsonObject(0).getJsonObject("serverSet").getJsonArray("active").contains(node);
  }

  @Test
  void nginxReloadsAtMostOnceASecondAndKeepsItsOldWorkersUnderTheCap() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SeedScenario seed = new SeedScenario(vertx, dir, Kind.NGINX, SeedScenario.freePort(), SeedScenario.freePort())) {
      Run run = flap(vertx, seed, STEADY + "      damping: off\n", "      max-draining-workers: " + MAX_DRAINING + "\n", 15, true, agent -> {});
      System.out.printf("nginx, 10 Hz flap for %.1f s, no damping, clients opening long sessions: %d health changes, %d reloads,"
          + " at most %d old workers (cap %d), held: %s%n", run.seconds, run.flips, run.reloads, run.maxOldWorkers, MAX_DRAINING, run.sawHeld);
      long budget = (long) Math.ceil(run.seconds) + 2;
      assertTrue(run.flips > 2 * budget, "the node did flap (" + run.flips + " health changes): without a budget, as many reloads");
      assertTrue(run.reloads <= budget, run.reloads + " reloads in " + run.seconds + " s; at most " + budget);
      assertTrue(run.maxOldWorkers <= MAX_DRAINING, run.maxOldWorkers + " old workers; the cap is " + MAX_DRAINING);
      assertTrue(run.sawHeld, "with long sessions on every generation the cap was reached and /status said the apply was held");
    } finally {
      get(vertx.close());
    }
  }

  @Test
  void haproxyNeverReloadsAndWritesItsFileAtMostOnceASecond() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SeedScenario seed = new SeedScenario(vertx, dir, Kind.HAPROXY, SeedScenario.freePort(), SeedScenario.freePort())) {
      Run run = flap(vertx, seed, STEADY + "      damping: off\n", "", 15, false, agent -> {});
      System.out.printf("HAProxy, 10 Hz flap for %.1f s, no damping: %d health changes, %d reloads, %d file writes%n",
          run.seconds, run.flips, run.reloads, run.fileWrites);
      long budget = (long) Math.ceil(run.seconds) + 2;
      assertTrue(run.flips > 2 * budget, "the node did flap (" + run.flips + " health changes)");
      assertEquals(0, run.reloads, "every switch went over the Runtime API");
      assertTrue(run.fileWrites > 0 && run.fileWrites <= budget, run.fileWrites + " file writes in " + run.seconds + " s; at most " + budget);
    } finally {
      get(vertx.close());
    }
  }

  @Test
  void flapDampingHoldsTheNodeOutUntilItIsStableThenLetsItBackIn() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SeedScenario seed = new SeedScenario(vertx, dir, Kind.NGINX, SeedScenario.freePort(), SeedScenario.freePort())) {
      long[] back = new long[1];
      Run run = flap(vertx, seed, STEADY + "      damping: { half-life: 1s, suppress: 4, reuse: 1, max-hold: 10s }\n", "", 10, false, agent -> {
        long stable = System.nanoTime();
        await().atMost(Duration.ofSeconds(15)).until(() -> inRotation(agent, "galileo"));
        back[0] = System.nanoTime() - stable;
      });
      System.out.printf("nginx, 10 Hz flap for %.1f s, damping (half-life 1 s): %d health changes the LB saw, %d reloads;"
          + " back in rotation %.1f s after it was stable%n", run.seconds, run.flips, run.reloads, back[0] / 1e9);
      assertTrue(run.sawDamped, "/status showed the flapping node damped");
      assertTrue(run.reloads <= 6, run.reloads + " reloads: a damped node costs no more reloads");
      assertTrue(back[0] >= TimeUnit.SECONDS.toNanos(1), "held out a while after the flapping stopped, not let back at once");
    } finally {
      get(vertx.close());
    }
  }
}
