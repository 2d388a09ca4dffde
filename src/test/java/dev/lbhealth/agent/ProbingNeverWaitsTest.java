package dev.lbhealth.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing stops probing: with the LB's reload hung, a config re-read that changes the service
 * starts the new monitor's probes at once; only its applies wait for the hung one. Seen from the
 * pod: the probes' connections keep their schedule.
 */
class ProbingNeverWaitsTest {
  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aHungReloadPlusASighupLeavesNoGapInTheProbes() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<Long> probesAt = new CopyOnWriteArrayList<>();
    try {
      NetServer pod = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.2").setPort(0));
      // A banner probe, so that the pod sees each probe (a tcp probe is half-open: the pod's
      // application would never see it).
      pod.connectHandler(socket -> {
        probesAt.add(System.nanoTime());
        socket.end(io.vertx.core.buffer.Buffer.buffer("SSH-2.0-pod\r\n"));
      });
      int port = get(pod.listen()).actualPort();
      Files.createDirectories(dir.resolve("conf.d"));
      String yaml = """
          status: { port: 0 }
          services:
            - name: rsync-ssh
              port: %d
              probe: { type: banner, expect: "SSH-2.0-", interval: 100ms, timeout: 50ms, jitter: 0 }
              nodes: [ { name: copernicus, address: 127.0.0.2 } ]
              lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "sleep 600", command-timeout: 4s }
          """.formatted(port, dir);
      Path config = Files.writeString(dir.resolve("agent.yaml"), yaml);
      Agent agent = new Agent(ConfigLoader.load(config));
      get(vertx.deployVerticle(agent));
      // The first apply is now hanging in its reload (for up to 4 s); the service changes meanwhile.
      await().atMost(Duration.ofSeconds(5)).until(() -> probesAt.size() >= 3);
      Files.writeString(config, yaml.replace("interval: 100ms", "interval: 120ms"));
      long reread = System.nanoTime();
      agent.reloadConfig(config);
      await().atMost(Duration.ofSeconds(5)).until(() -> System.nanoTime() - reread > TimeUnit.MILLISECONDS.toNanos(2500));

      List<Long> window = new ArrayList<>();
      probesAt.stream().filter(t -> t >= reread - TimeUnit.MILLISECONDS.toNanos(150)).forEach(window::add);
      long maxGap = 0;
      for (int i = 1; i < window.size(); i++) {
        maxGap = Math.max(maxGap, window.get(i) - window.get(i - 1));
      }
      long gapMs = TimeUnit.NANOSECONDS.toMillis(maxGap);
      System.out.printf("probes in the 2.5 s after the re-read: %d, longest gap %d ms%n", window.size(), gapMs);
      assertTrue(window.size() >= 10, "probing went on: " + window.size() + " probes");
      assertTrue(gapMs <= 2 * 120 + 100, "no gap over two intervals (plus scheduling slack): " + gapMs + " ms");
      assertEquals(List.of("changed rsync-ssh"),
          agent.status().getJsonObject("agent").getJsonObject("lastConfigReload").getJsonArray("changes").getList());
    } finally {
      get(vertx.close());
    }
  }
}
