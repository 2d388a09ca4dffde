package dev.lbhealth.agent.systemd;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.cli.Main;
import dev.lbhealth.agent.demo.SeedScenario;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent as systemd runs it with Type=notify and WatchdogSec: a real notify socket. */
class SystemdNotifyTest {
  @TempDir Path dir;

  /** With the unit's own JVM options: a cold start. */
  @Test
  void readyAfterFirstApplyThenWatchdogPingsThenStopping() throws Exception {
    readyWatchdogStopping(UnitOptions.jvm());
  }

  /** Where Netty's native epoll does not load (another CPU, a locked-down /tmp): systemd-notify. */
  @Test
  void withoutNettysNativeTheSameArriveThroughSystemdNotify() throws Exception {
    List<String> options = new java.util.ArrayList<>(UnitOptions.jvm());
    options.add("-Dio.netty.transport.noNative=true");
    String out = readyWatchdogStopping(options);
    assertTrue(out.contains("Netty's native epoll does not load here: notifying systemd through"), out);
  }

  /** Runs the agent with the JVM options under a notify socket; returns its output. */
  private String readyWatchdogStopping(List<String> jvmOptions) throws Exception {
    int hostPort = SeedScenario.freePort();
    NotifySocket systemd = new NotifySocket(dir.resolve("notify.sock"));
    List<String> received = systemd.received;
    Path socket = systemd.path;
    Files.createDirectories(dir.resolve("conf.d"));
    Path config = Files.writeString(dir.resolve("agent.yaml"), """
        status: { port: 0 }
        services:
          - name: rsync-ssh
            port: %d
            probe: { type: tcp, interval: 100ms }
            nodes: [ { name: copernicus, address: 127.0.0.2 } ]
            lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "env > %s/reload-env.txt" }
        """.formatted(hostPort, dir, dir));
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
    builder.environment().put("NOTIFY_SOCKET", socket.toString());
    builder.environment().put("WATCHDOG_USEC", "400000");
    Process agent = builder.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().anyMatch(m -> m.startsWith("READY=1")));
      String ready = received.stream().filter(m -> m.startsWith("READY=1")).findFirst().orElseThrow();
      assertTrue(Files.exists(dir.resolve("conf.d/rsync-ssh.cfg")), "ready comes after the first apply");
      // No node answers yet: the service falls open (when-empty: all-nodes), and STATUS= says so.
      assertTrue(ready.contains("\nSTATUS=warning: service rsync-ssh: fail-open: no node is healthy, yet [copernicus] in rotation"), ready);
      assertTrue(ready.endsWith(" | rsync-ssh: in rotation [copernicus], 0/1 up"), ready);
      // STATUS= follows the state: the pod comes up on copernicus.
      try (java.net.ServerSocket pod = new java.net.ServerSocket(hostPort, 50, java.net.InetAddress.getByName("127.0.0.2"))) {
        try {
          await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("STATUS=rsync-ssh: in rotation [copernicus], 1/1 up"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          throw new AssertionError("no STATUS= for the pod up; received " + received, e);
        }
      }
      String childEnv = Files.readString(dir.resolve("reload-env.txt"));
      assertTrue(!childEnv.contains("NOTIFY_SOCKET") && !childEnv.contains("WATCHDOG_"),
          "the reload command may not speak to systemd for the agent: " + childEnv);

      int pings = (int) received.stream().filter("WATCHDOG=1"::equals).count();
      await().atMost(Duration.ofSeconds(5)).until(() -> received.stream().filter("WATCHDOG=1"::equals).count() >= pings + 3);

      agent.destroy();
      assertTrue(agent.waitFor(15, TimeUnit.SECONDS));
      await().atMost(Duration.ofSeconds(2)).until(() -> received.contains("STOPPING=1"));
      // The JVM's warm-up pause at start is not an overload: no STATUS= ever called it one.
      assertTrue(received.stream().noneMatch(m -> m.contains("overloaded")), received.toString());
      assertEquals(1, received.stream().filter(m -> m.startsWith("READY=1")).count(), "ready is said once");
      return Files.readString(dir.resolve("out.txt"));
    } finally {
      agent.destroyForcibly();
      systemd.close();
    }
  }

  @Test
  void readyOnlyOnceTheFirstApplySucceeded() throws Exception {
    NotifySocket systemd = new NotifySocket(dir.resolve("notify.sock"));
    List<String> received = systemd.received;
    Path socket = systemd.path;
    Files.createDirectories(dir.resolve("conf.d"));
    // The LB refuses its reloads until the operator fixes it (here: a file appears).
    Path fixed = dir.resolve("lb-fixed");
    Path config = Files.writeString(dir.resolve("agent.yaml"), """
        status: { port: 0 }
        services:
          - name: rsync-ssh
            port: %d
            probe: { type: tcp, interval: 100ms }
            nodes: [ { name: copernicus, address: 127.0.0.2 } ]
            lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "test -e %s" }
        """.formatted(SeedScenario.freePort(), dir, fixed));
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
    builder.environment().put("NOTIFY_SOCKET", socket.toString());
    Process agent = builder.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(dir.resolve("out.txt")).matches("(?s).*apply of \\[[a-z, ]*\\] failed.*"));
      assertTrue(received.stream().noneMatch(m -> m.startsWith("READY=1")), "no READY while the first apply fails: " + received);
      Files.writeString(fixed, "");
      // The failed apply is retried after 5 s; READY follows its success.
      await().atMost(Duration.ofSeconds(15)).until(() -> received.stream().anyMatch(m -> m.startsWith("READY=1")));
      assertTrue(Files.exists(dir.resolve("conf.d/rsync-ssh.cfg")));
      assertTrue(Files.readString(dir.resolve("out.txt")).contains("ready: every service's first apply succeeded"));
      String ready = received.stream().filter(m -> m.startsWith("READY=1")).findFirst().orElseThrow();
      assertFalse(ready.contains("degraded"), "the failure has cleared, and STATUS= says so: " + ready);
    } finally {
      agent.destroyForcibly();
      systemd.close();
    }
  }
}
