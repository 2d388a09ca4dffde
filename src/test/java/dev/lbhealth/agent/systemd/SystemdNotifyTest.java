package dev.lbhealth.agent.systemd;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.cli.Main;
import dev.lbhealth.agent.demo.SeedScenario;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent as systemd runs it with Type=notify and WatchdogSec: a real notify socket. */
class SystemdNotifyTest {
  @TempDir Path dir;

  @Test
  void readyAfterFirstApplyThenWatchdogPingsThenStopping() throws Exception {
    readyWatchdogStopping(List.of());
  }

  /** Where Netty's native epoll does not load (another CPU, a locked-down /tmp): systemd-notify. */
  @Test
  void withoutNettysNativeTheSameArriveThroughSystemdNotify() throws Exception {
    String out = readyWatchdogStopping(List.of("-Dio.netty.transport.noNative=true"));
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
      assertTrue(ready.contains("\nSTATUS=rsync-ssh: in rotation [copernicus], 0/1 up"), ready);
      // STATUS= follows the state: the pod comes up on copernicus.
      try (java.net.ServerSocket pod = new java.net.ServerSocket(hostPort, 50, java.net.InetAddress.getByName("127.0.0.2"))) {
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("STATUS=rsync-ssh: in rotation [copernicus], 1/1 up"));
      }
      String childEnv = Files.readString(dir.resolve("reload-env.txt"));
      assertTrue(!childEnv.contains("NOTIFY_SOCKET") && !childEnv.contains("WATCHDOG_"),
          "the reload command may not speak to systemd for the agent: " + childEnv);

      int pings = (int) received.stream().filter("WATCHDOG=1"::equals).count();
      await().atMost(Duration.ofSeconds(5)).until(() -> received.stream().filter("WATCHDOG=1"::equals).count() >= pings + 3);

      agent.destroy();
      assertTrue(agent.waitFor(15, TimeUnit.SECONDS));
      await().atMost(Duration.ofSeconds(2)).until(() -> received.contains("STOPPING=1"));
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

  /** systemd's end of the notify protocol: a Unix datagram socket that keeps what it receives. */
  private static final class NotifySocket implements AutoCloseable {
    final List<String> received = new CopyOnWriteArrayList<>();
    final Path path;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Channel channel;

    NotifySocket(Path path) throws InterruptedException {
      this.path = path;
      channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
          .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket packet) {
              received.add(packet.content().toString(StandardCharsets.UTF_8));
            }
          })
          .bind(new DomainSocketAddress(path.toString())).sync().channel();
    }

    @Override
    public void close() throws InterruptedException {
      channel.close().sync();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
