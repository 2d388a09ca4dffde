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
}
