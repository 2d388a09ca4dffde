package dev.lbhealth.agent.status;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live status page in a real headless Chromium against a running agent. */
class StatusPageTest {
  @TempDir Path dir;

  @Test
  void aNodeGoingDownTurnsItsCellDownWithinASecondWithoutAReload() throws Exception {
    LiveAgent live = new LiveAgent(dir, 3, "copernicus", "galileo");
    String cell = "document.querySelector('[data-node=copernicus]')";
    try (HeadlessChromium chromium = new HeadlessChromium(dir, live.url("/"))) {
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> "up".equals(chromium.eval(cell + ".dataset.state"))
          && "down".equals(chromium.eval("document.querySelector('[data-node=newton]').dataset.state")));
      Object loadedAt = chromium.eval("window.loadedAt");
      chromium.screenshot(Path.of("target/screenshots/status-page-all-up.png"));

      live.stopPod("copernicus");
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
      live.close();
    }
    assertTrue(Files.size(Path.of("target/screenshots/status-page.png")) > 1000);
  }

  @Test
  void offLoopbackWithATokenThePageLoadsAsksForItAndShowsTheNodes() throws Exception {
    String token = "page-test-token-0123456789abcdef";
    Path tokenFile = Files.writeString(dir.resolve("token"), token + "\n");
    // Bound to every address, so off loopback and behind the token; the test connects to 127.0.0.1 only.
    LiveAgent live = new LiveAgent(dir, "status: { host: 0.0.0.0, port: 0, token-file: " + tokenFile + " }", 2, "copernicus");
    try (HeadlessChromium chromium = new HeadlessChromium(dir, "about:blank")) {
      chromium.answerPrompts(token);
      chromium.navigate(live.url("/"));
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() ->
          "up".equals(chromium.eval("document.querySelector('[data-node=copernicus]').dataset.state"))
              && "down".equals(chromium.eval("document.querySelector('[data-node=galileo]').dataset.state")));
      assertTrue(chromium.prompts.get() >= 1, "the page asked for the token");
      chromium.screenshot(Path.of("target/screenshots/status-page-token.png"));
    } finally {
      live.close();
    }
  }

  /** At 1,000 targets the page stays usable: counts and the nodes that are not up; the grid on demand. */
  @Test
  void aThousandTargetsAreSummarizedAndTheGridOpensOnDemand() throws Exception {
    io.vertx.core.Vertx pods = io.vertx.core.Vertx.vertx();
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      int port = dev.lbhealth.agent.demo.SeedScenario.freePort();
      StringBuilder yaml = new StringBuilder("status: { port: 0 }\nservices:\n  - name: big\n    port: " + port
          + "\n    probe: { type: tcp, interval: 1s, timeout: 500ms }\n    nodes:\n");
      java.util.List<io.vertx.core.Future<?>> listening = new java.util.ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        String address = "127.1." + (i / 250) + "." + (1 + i % 250);
        yaml.append("      - { name: n").append(i).append(", address: ").append(address).append(" }\n");
        if (i % 100 != 7) { // ten nodes have no pod
          listening.add(pods.createNetServer(new io.vertx.core.net.NetServerOptions().setHost(address).setPort(port))
              .connectHandler(socket -> socket.close()).listen());
        }
      }
      yaml.append("    lb: { file: ").append(dir.resolve("big.cfg")).append(", validate: \"true\", reload: \"true\" }\n");
      io.vertx.core.Future.all(listening).toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
      dev.lbhealth.agent.Agent agent = new dev.lbhealth.agent.Agent(dev.lbhealth.agent.config.ConfigLoader.parse(yaml.toString(), "test"));
      vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      String box = "document.querySelector('.summary[data-service=big]')";
      try (HeadlessChromium chromium = new HeadlessChromium(dir, "http://127.0.0.1:" + agent.statusPort() + "/")) {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
            chromium.eval(box + ".querySelector('.counts').textContent").toString().equals("990 up10 down of 1000 nodes"));
        String notUp = chromium.eval(box + ".querySelector('.not-up').textContent").toString();
        assertEquals("not up: n7, n107, n207, n307, n407, n507, n607, n707, n807, n907", notUp);
        assertEquals(0.0, ((Number) chromium.eval("document.querySelectorAll('[data-service=big] .cell').length")).doubleValue(),
            "no grid of 1,000 cells until asked for");
        chromium.eval(box + ".querySelector('details').open = true");
        await().atMost(Duration.ofSeconds(5)).until(() ->
            ((Number) chromium.eval("document.querySelectorAll('.summary[data-service=big] .cell').length")).intValue() == 1000);
        chromium.screenshot(Path.of("target/screenshots/status-page-1000.png"));
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
      pods.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
