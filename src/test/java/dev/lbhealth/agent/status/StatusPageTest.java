package dev.lbhealth.agent.status;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live status page in a real headless Chromium against a running agent. */
class StatusPageTest {
  @TempDir Path dir;

  @Test
  void aNodeGoingDownTurnsItsCellDownWithinASecondWithoutAReload() throws Exception {
    Vertx vertx = Vertx.vertx();
    int port = SeedScenario.freePort();
    PretendPod copernicus = new PretendPod(vertx, "copernicus", "127.0.0.2", port);
    PretendPod galileo = new PretendPod(vertx, "galileo", "127.0.0.3", port);
    copernicus.start().toCompletionStage().toCompletableFuture().get();
    galileo.start().toCompletionStage().toCompletableFuture().get();
    Files.createDirectories(dir.resolve("conf.d"));
    Agent agent = new Agent(ConfigLoader.parse("""
        status: { port: 0 }
        services:
          - name: rsync-ssh
            port: %d
            probe: { type: banner, expect: "SSH-2.0-", interval: 100ms, timeout: 80ms, rise: 1, fall: 2 }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
              - { name: newton, address: 127.0.0.4 }
            lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "true" }
        """.formatted(port, dir), "test"));
    vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get();
    String cell = "document.querySelector('[data-node=copernicus]')";
    try (HeadlessChromium chromium = new HeadlessChromium(dir, "http://127.0.0.1:" + agent.statusPort() + "/")) {
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> "up".equals(chromium.eval(cell + ".dataset.state"))
          && "down".equals(chromium.eval("document.querySelector('[data-node=newton]').dataset.state")));
      Object loadedAt = chromium.eval("window.loadedAt");
      chromium.screenshot(Path.of("target/screenshots/status-page-all-up.png"));

      copernicus.stop().toCompletionStage().toCompletableFuture().get();
      long stopped = System.nanoTime();
      await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
          .until(() -> "down".equals(chromium.eval(cell + ".dataset.state")));
      System.out.printf("cell turned down %.0f ms after the pod stopped%n", (System.nanoTime() - stopped) / 1e6);
      assertEquals(loadedAt, chromium.eval("window.loadedAt"), "no page reload");
      assertTrue(chromium.eval(cell + ".className").toString().contains("down"));
      await().atMost(Duration.ofSeconds(2)).until(() ->
          chromium.eval("document.querySelector('[data-service=rsync-ssh] .in-rotation').textContent").toString()
              .contains("in rotation: galileo"));
      chromium.screenshot(Path.of("target/screenshots/status-page.png"));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertTrue(Files.size(Path.of("target/screenshots/status-page.png")) > 1000);
  }
}
