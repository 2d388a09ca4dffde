package dev.lbhealth.agent.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.lbhealth.agent.demo.FakeCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as an operator uses it: a real JVM process per command. */
class CommandLineTest {
  @TempDir Path dir;

  private record Run(int exit, String out) {}

  private Process start(String... args) throws IOException {
    return start(Map.of(), args);
  }

  private Process start(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
    builder.environment().putAll(env);
    return builder.start();
  }

  private Run run(String... args) throws Exception {
    Process p = start(args);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // never outlive the test
      throw new AssertionError("command did not end within 60 s: " + Files.readString(dir.resolve("out.txt")));
    }
    return new Run(p.exitValue(), Files.readString(dir.resolve("out.txt")));
  }

  private Path config(int hostPort, int statusPort) throws IOException {
    Files.createDirectories(dir.resolve("conf.d"));
    return Files.writeString(dir.resolve("agent.yaml"), """
        status: { port: %d }
        services:
          - name: rsync-ssh
            port: %d
            probe: { type: banner, expect: "SSH-2.0-", interval: 100ms, timeout: 80ms }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
            lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "true" }
        """.formatted(statusPort, hostPort, dir));
  }

  @Test
  void checkConfigAcceptsAValidFile() throws Exception {
    Run r = run("check-config", config(9890, 9900).toString());
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("valid, 1 service(s)"), r.out());
  }

  @Test
  void checkConfigExitsTwoAndNamesEveryError() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), Files.readString(config(9890, 9900))
        .replace("timeout: 80ms", "timeout: 3s").replace("127.0.0.3", "127.0.0.300"));
    Run r = run("check-config", bad.toString());
    assertEquals(2, r.exit(), r.out());
    assertTrue(r.out().contains("services[0].probe.timeout: 3s must be shorter than interval 100ms"), r.out());
    assertTrue(r.out().contains("services[0].nodes[1].address: '127.0.0.300' is not an IP address or host name"), r.out());
  }

  @Test
  void checkConfigReadsStandardInputForAFileItsUserCannotOpen() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), Files.readString(config(9890, 9900))
        .replace("127.0.0.3", "127.0.0.300") + "kubernetes: { server: https://127.0.0.1:6443, token-file: " + dir.resolve("no-token") + " }\n");
    for (Path input : List.of(config(9890, 9900), bad)) {
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), Main.class.getName(), "check-config", "-");
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(input.toFile())
          .redirectOutput(dir.resolve("out.txt").toFile()).start();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      String out = Files.readString(dir.resolve("out.txt"));
      if (input == bad) {
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("standard input") && out.contains("'127.0.0.300' is not an IP address")
            && out.contains("kubernetes.token-file: " + dir.resolve("no-token") + " is not a readable file"), out);
      } else {
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("standard input: valid, 1 service(s)"), out);
      }
    }
  }

  @Test
  void runRefusesAnInvalidConfigAndWritesNothing() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), Files.readString(config(9890, 9900)).replace("interval:", "intervall:"));
    Run r = run("run", "--config", bad.toString());
    assertEquals(2, r.exit(), r.out());
    assertFalse(Files.exists(dir.resolve("conf.d/rsync-ssh.cfg")));
  }

  @Test
  void dryRunPrintsWhatItWouldWriteAndWritesNothing() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int port = SeedScenario.freePort();
      new PretendPod(vertx, "copernicus", "127.0.0.2", port).start().toCompletionStage().toCompletableFuture().get();
      Run r = run("dry-run", "--config", config(port, 9900).toString());
      assertEquals(0, r.exit(), r.out());
      assertTrue(r.out().contains("    server copernicus 127.0.0.2:" + port + "\n"), r.out());
      assertTrue(r.out().contains("    server galileo 127.0.0.3:" + port + " disabled\n"), r.out());
      assertTrue(r.out().contains("down: connection refused"), r.out());
      assertFalse(Files.exists(dir.resolve("conf.d/rsync-ssh.cfg")));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  @Test
  void dryRunWithWriteWritesTheCheckedFileIfMissingAndReloadsNothing() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int port = SeedScenario.freePort();
      new PretendPod(vertx, "copernicus", "127.0.0.2", port).start().toCompletionStage().toCompletableFuture().get();
      Path file = config(port, 9900);
      Files.writeString(file, Files.readString(file).replace("reload: \"true\"", "reload: \"touch " + dir.resolve("reloaded") + "\""));
      Run r = run("dry-run", "--write", "--config", file.toString());
      assertEquals(0, r.exit(), r.out());
      assertTrue(Files.readString(dir.resolve("conf.d/rsync-ssh.cfg")).contains("    server copernicus 127.0.0.2:" + port + "\n"));
      assertFalse(Files.exists(dir.resolve("reloaded")), "no reload");

      // Run again while an agent would keep the file: it is left as it is, not written from a fresh probe.
      Files.writeString(dir.resolve("conf.d/rsync-ssh.cfg"), "# the running agent's file\n");
      Run again = run("dry-run", "--write", "--config", file.toString());
      assertEquals(0, again.exit(), again.out());
      assertTrue(again.out().contains("# left " + dir.resolve("conf.d/rsync-ssh.cfg") + " as it is: it exists"), again.out());
      assertEquals("# the running agent's file\n", Files.readString(dir.resolve("conf.d/rsync-ssh.cfg")));

      Files.writeString(file, Files.readString(file).replace("validate: \"true\"", "validate: \"echo bad backend >&2; false\""));
      Files.delete(dir.resolve("conf.d/rsync-ssh.cfg"));
      Run refused = run("dry-run", "--write", "--config", file.toString());
      assertEquals(1, refused.exit(), refused.out());
      assertTrue(refused.out().contains("service rsync-ssh: not written:") && refused.out().contains("bad backend"), refused.out());
      assertFalse(Files.exists(dir.resolve("conf.d/rsync-ssh.cfg")), "a file the LB's check refuses is never put in place");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  @Test
  void dryRunShowsWhatKubernetesSaysAndRendersWithIt() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (FakeCluster cluster = new FakeCluster()) {
      int port = SeedScenario.freePort();
      cluster.node("copernicus", "127.0.0.2");
      cluster.node("galileo", "127.0.0.3");
      cluster.pod("rsyncer-1", "copernicus", port);
      cluster.ready("rsyncer-1", true);
      // Both ports answer, but only copernicus has a Ready pod of the service.
      for (String[] node : new String[][] {{"copernicus", "127.0.0.2"}, {"galileo", "127.0.0.3"}}) {
        new PretendPod(vertx, node[0], node[1], port).start().toCompletionStage().toCompletableFuture().get();
      }
      Files.writeString(dir.resolve("agent.yaml"), cluster.agentYaml(dir) + Files.readString(config(port, 9900))
          .replace("    nodes:\n      - { name: copernicus, address: 127.0.0.2 }\n      - { name: galileo, address: 127.0.0.3 }\n",
              "    kubernetes: { selector: \"name=" + FakeCluster.LABEL + "\" }\n"));
      Run r = run("dry-run", "--config", dir.resolve("agent.yaml").toString());
      assertEquals(0, r.exit(), r.out());
      assertTrue(r.out().contains("what Kubernetes says (default/name=" + FakeCluster.LABEL + ")"), r.out());
      assertTrue(r.out().matches("(?s).*#   copernicus +127\\.0\\.0\\.2:" + port + " +serving\n.*"), r.out());
      assertTrue(r.out().matches("(?s).*#   galileo +127\\.0\\.0\\.3:" + port + " +absent\n.*"), r.out());
      assertTrue(r.out().contains("    server copernicus 127.0.0.2:" + port + "\n"), r.out());
      assertTrue(r.out().contains("    server galileo 127.0.0.3:" + port + " disabled\n"), "its port answers, but no Ready pod: " + r.out());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  @Test
  void runServesStatusAndStopsCleanlyOnSigterm() throws Exception {
    int statusPort = SeedScenario.freePort();
    Process agent = start("run", "--config", config(SeedScenario.freePort(), statusPort).toString());
    try {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest healthz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/healthz")).build();
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> http.send(healthz, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      assertTrue(Files.readString(dir.resolve("conf.d/rsync-ssh.cfg")).contains("server copernicus"));
      agent.destroy(); // SIGTERM
      assertTrue(agent.waitFor(15, TimeUnit.SECONDS), "stopped after SIGTERM");
      assertEquals(143, agent.exitValue(), "the JVM's exit status for SIGTERM");
      String log = Files.readString(dir.resolve("out.txt"));
      assertTrue(log.contains("stopping"), log);
      assertFalse(log.contains("unclean stop"), log);
    } finally {
      agent.destroyForcibly();
    }
  }

  private static JsonObject status(int port) throws Exception {
    return new JsonObject(HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  private static void hangUp(Process p) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor());
  }

  @Test
  void startingWithKubernetesDiscoveryLogsNoMetricsWarning() throws Exception {
    int statusPort = SeedScenario.freePort();
    Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters: [{name: k3s, cluster: {server: "https://127.0.0.1:%d"}}]
        users: [{name: lb, user: {token: t}}]
        contexts: [{name: lb, context: {cluster: k3s, user: lb}}]
        current-context: lb
        """.formatted(SeedScenario.freePort()));
    int port = SeedScenario.freePort();
    Path file = config(port, statusPort);
    String service = Files.readString(file).substring(Files.readString(file).indexOf("  - name: rsync-ssh"));
    // Two services: each has its probe client; one asks Kubernetes too.
    Files.writeString(file, "kubernetes: { kubeconfig: " + kubeconfig + " }\n"
        + Files.readString(file).replace("    nodes:", "    kubernetes: { selector: \"app=rsync\" }\n    nodes:")
        + service.replace("rsync-ssh", "git-ssh").replace("port: " + port, "port: " + (port + 1)));
    Process agent = start("run", "--config", file.toString());
    try {
      // The API is not there: the client's HTTP pools are made and used, and the agent says so.
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(dir.resolve("out.txt")).contains("Kubernetes API"));
      String log = Files.readString(dir.resolve("out.txt"));
      assertFalse(log.contains("already registered"), log);
      assertFalse(log.contains(" WARN  MeterRegistry"), log);
    } finally {
      agent.destroyForcibly();
    }
  }

  @Test
  void aSighupDuringStartUpIsKeptAndActedOnOnceTheAgentRuns() throws Exception {
    int statusPort = SeedScenario.freePort();
    Path file = config(SeedScenario.freePort(), statusPort);
    String original = Files.readString(file);
    // -verbose:class shows when picocli loads: right after the handler is installed, long
    // before the agent runs, so the SIGHUP lands in the start-up window every time.
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-verbose:class", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", file.toString()));
    Process agent = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(dir.resolve("out.txt")).contains(" picocli.CommandLine "));
      Files.writeString(file, original.replace("rsync-ssh", "git-ssh"));
      hangUp(agent);
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() ->
          status(statusPort).getJsonArray("services").getJsonObject(0).getString("name").equals("git-ssh"));
      assertTrue(agent.isAlive(), "the agent lives");
      assertTrue(Files.readString(dir.resolve("out.txt")).contains("SIGHUP while starting: the config is re-read once the agent runs"));
    } finally {
      agent.destroyForcibly();
    }
  }

  @Test
  void aMissingNativeOrAMalformedSystemdEnvironmentIsAWarningNotAnExit() throws Exception {
    int statusPort = SeedScenario.freePort();
    Path file = config(SeedScenario.freePort(), statusPort);
    Process agent = start(Map.of("NOTIFY_SOCKET", "/nonexistent/notify.sock", "WATCHDOG_USEC", "abc"), "run", "--config", file.toString());
    try {
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> status(statusPort).getJsonArray("services").size() == 1);
      assertTrue(agent.isAlive());
      String out = Files.readString(dir.resolve("out.txt"));
      assertTrue(out.contains("WATCHDOG_USEC 'abc' is not a positive number of microseconds: no watchdog pings"), out);
      assertTrue(out.contains("NOTIFY_SOCKET /nonexistent/notify.sock cannot be reached, not notifying systemd"), out);
      assertFalse(out.contains("Exception in thread"), out);
    } finally {
      agent.destroyForcibly();
    }
  }

  @Test
  void sighupAppliesAValidConfigKeepingProbeStateAndRejectsAnInvalidOne() throws Exception {
    int statusPort = SeedScenario.freePort();
    Path file = config(SeedScenario.freePort(), statusPort);
    String original = Files.readString(file);
    Process agent = start("run", "--config", file.toString());
    try {
      await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> status(statusPort).getJsonArray("services").size() == 1
          && status(statusPort).getJsonArray("services").getJsonObject(0).containsKey("lastApply"));
      JsonObject before = status(statusPort).getJsonArray("services").getJsonObject(0).getJsonArray("nodes").getJsonObject(0);

      String second = original.substring(original.indexOf("  - name: rsync-ssh")).replace("rsync-ssh", "git-ssh");
      Files.writeString(file, original + second);
      hangUp(agent);
      await().atMost(Duration.ofSeconds(10)).until(() -> status(statusPort).getJsonArray("services").size() == 2);
      JsonObject reload = status(statusPort).getJsonObject("agent").getJsonObject("lastConfigReload");
      assertEquals("applied", reload.getString("outcome"));
      assertEquals(List.of("added git-ssh"), reload.getJsonArray("changes").getList());
      // The probes' counts in /status are at most a second old: wait for one taken after more probes.
      await().atMost(Duration.ofSeconds(5)).until(() -> status(statusPort).getJsonArray("services").getJsonObject(0)
          .getJsonArray("nodes").getJsonObject(0).getInteger("consecutiveFailures") > before.getInteger("consecutiveFailures"));
      JsonObject after = status(statusPort).getJsonArray("services").getJsonObject(0).getJsonArray("nodes").getJsonObject(0);
      assertEquals(before.getString("since"), after.getString("since"), "the unchanged service kept its probe state");

      Files.writeString(file, original.replace("timeout: 80ms", "timeout: 5s"));
      hangUp(agent);
      await().atMost(Duration.ofSeconds(10)).until(() ->
          status(statusPort).getJsonObject("agent").getJsonObject("lastConfigReload").getString("outcome").equals("rejected"));
      JsonObject rejected = status(statusPort).getJsonObject("agent").getJsonObject("lastConfigReload");
      assertEquals(List.of("services[0].probe.timeout: 5s must be shorter than interval 100ms"), rejected.getJsonArray("errors").getList());
      assertEquals(2, status(statusPort).getJsonArray("services").size(), "still running the previous config");
      assertTrue(agent.isAlive());
      assertTrue(Files.readString(dir.resolve("out.txt")).contains("config reload rejected, still running the previous config"));
    } finally {
      agent.destroyForcibly();
    }
  }

  @Test
  void versionAndHelp() throws Exception {
    Run version = run("--version");
    assertEquals(0, version.exit());
    assertTrue(version.out().matches("lb-health-agent \\d+\\.\\d+\\.\\d+\\s*"), version.out());
    Run help = run("--help");
    assertTrue(help.out().contains("check-config") && help.out().contains("dry-run"), help.out());
    assertFalse(help.out().contains("demo"), "the demo is no part of the agent: " + help.out());
  }
}
