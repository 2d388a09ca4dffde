package dev.lbhealth.agent.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's notify protocol ({@code Type=notify}): datagrams such as {@code READY=1} and
 * {@code WATCHDOG=1} to the socket in {@code $NOTIFY_SOCKET}. Without that variable (not started
 * by systemd) every call does nothing. The JDK has no Unix datagram sockets: where Netty's native
 * epoll loads (x86_64 and aarch64 are shipped) a datagram is queued on a small epoll loop of its
 * own; elsewhere {@code systemd-notify --no-block} sends it (the unit's {@code NotifyAccess=all}
 * lets a child speak for the service). Sending never blocks the caller, and nothing about the
 * environment (a missing native, an unreachable socket, a malformed {@code WATCHDOG_USEC}) is
 * ever more than a logged warning: notifications are then off, the agent runs.
 */
public final class SystemdNotifier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);

  /** How a notification reaches systemd. */
  private interface Transport {
    void send(String state);

    void close();
  }

  private final Transport transport;
  private final long watchdogMillis;

  private SystemdNotifier(Transport transport, long watchdogMillis) {
    this.transport = transport;
    this.watchdogMillis = watchdogMillis;
  }

  /** From {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID}. */
  public static SystemdNotifier fromEnvironment(Map<String, String> env) {
    String socketPath = env.get("NOTIFY_SOCKET");
    if (socketPath == null || socketPath.isEmpty()) {
      return new SystemdNotifier(null, 0);
    }
    long watchdog = watchdogMillis(env);
    Transport transport = Epoll.isAvailable() ? epoll(socketPath) : command(socketPath, env.get("PATH"));
    return new SystemdNotifier(transport, transport == null ? 0 : watchdog);
  }

  /** Half the period systemd waits, as sd_watchdog_enabled(3) advises; 0 when none or not ours. */
  private static long watchdogMillis(Map<String, String> env) {
    String usec = env.get("WATCHDOG_USEC");
    String pid = env.get("WATCHDOG_PID");
    if (usec == null || (pid != null && !pid.strip().equals(String.valueOf(ProcessHandle.current().pid())))) {
      return 0;
    }
    try {
      long value = Long.parseLong(usec.strip());
      if (value <= 0) {
        throw new NumberFormatException("not positive");
      }
      return Math.max(1, value / 2_000);
    } catch (NumberFormatException e) {
      LOG.warn("WATCHDOG_USEC '{}' is not a positive number of microseconds: no watchdog pings", usec);
      return 0;
    }
  }

  private static Transport epoll(String socketPath) {
    // '@' names a socket in the abstract namespace, which Linux spells with a leading NUL.
    DomainSocketAddress address = new DomainSocketAddress(socketPath.startsWith("@") ? "\0" + socketPath.substring(1) : socketPath);
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      // Connected, so every datagram goes to systemd (an unconnected one would need a bind first).
      Channel channel = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
          .handler(new ChannelInboundHandlerAdapter()).connect(address).syncUninterruptibly().channel();
      return new Transport() {
        @Override
        public void send(String state) {
          channel.writeAndFlush(Unpooled.copiedBuffer(state, StandardCharsets.UTF_8)).addListener(f -> {
            if (!f.isSuccess()) {
              LOG.warn("systemd notification '{}' failed: {}", state.lines().findFirst().orElse(""), f.cause().toString());
            }
          });
        }

        @Override
        public void close() {
          channel.close().syncUninterruptibly();
          loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
      };
    } catch (Exception | LinkageError e) {
      // Netty rethrows the connect's checked IOException as it is: catch Exception, not RuntimeException.
      LOG.warn("NOTIFY_SOCKET {} cannot be reached, not notifying systemd: {}", socketPath, e.toString());
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      return null;
    }
  }

  /** {@code systemd-notify --no-block}, one at a time and in order, on a thread of its own. */
  private static Transport command(String socketPath, String path) {
    Path binary = null;
    for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "systemd-notify");
      if (Files.isExecutable(candidate)) {
        binary = candidate;
        break;
      }
    }
    if (binary == null) {
      LOG.warn("Netty's native epoll does not load here and systemd-notify is not on the PATH: not notifying systemd");
      return null;
    }
    LOG.info("Netty's native epoll does not load here: notifying systemd through {}", binary);
    String command = binary.toString();
    ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "systemd-notify");
      t.setDaemon(true);
      return t;
    });
    return new Transport() {
      @Override
      public void send(String state) {
        sender.execute(() -> {
          List<String> argv = new ArrayList<>(List.of(command, "--no-block"));
          argv.addAll(state.lines().toList());
          try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            builder.environment().put("NOTIFY_SOCKET", socketPath);
            Process p = builder.start();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
              p.destroyForcibly();
              LOG.warn("systemd-notify '{}' did not succeed", state.lines().findFirst().orElse(""));
            }
          } catch (Exception e) {
            LOG.warn("systemd-notify '{}' could not run: {}", state.lines().findFirst().orElse(""), e.toString());
          }
        });
      }

      @Override
      public void close() {
        sender.shutdown();
        try {
          sender.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  public boolean enabled() {
    return transport != null;
  }

  /** How often to send {@code WATCHDOG=1}, or 0 when systemd watches nothing. */
  long watchdogMillis() {
    return enabled() ? watchdogMillis : 0;
  }

  /** Sends one notification, e.g. {@code READY=1\nSTATUS=...}; never blocks. */
  public void send(String state) {
    if (enabled()) {
      transport.send(state);
    }
  }

  @Override
  public void close() {
    if (enabled()) {
      transport.close();
    }
  }
}
