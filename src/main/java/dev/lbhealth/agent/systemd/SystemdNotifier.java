package dev.lbhealth.agent.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's notify protocol ({@code Type=notify}): datagrams such as {@code READY=1} and
 * {@code WATCHDOG=1} to the socket in {@code $NOTIFY_SOCKET}. Without that variable (not started
 * by systemd) every call does nothing. Sending never blocks: the datagram is queued on a small
 * epoll loop of its own, since the JDK has no Unix datagram sockets.
 */
public final class SystemdNotifier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);

  private final DomainSocketAddress socket;
  private final long watchdogMillis;
  private final EventLoopGroup group;
  private final Channel channel;

  private SystemdNotifier(String socketPath, long watchdogMillis) {
    this.watchdogMillis = watchdogMillis;
    if (socketPath == null || socketPath.isEmpty()) {
      socket = null;
      group = null;
      channel = null;
      return;
    }
    // '@' names a socket in the abstract namespace, which Linux spells with a leading NUL.
    DomainSocketAddress address = new DomainSocketAddress(socketPath.startsWith("@") ? "\0" + socketPath.substring(1) : socketPath);
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    Channel connected = null;
    try {
      // Connected, so every datagram goes to systemd (an unconnected one would need a bind first).
      connected = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
          .handler(new ChannelInboundHandlerAdapter()).connect(address).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      LOG.warn("NOTIFY_SOCKET {} cannot be reached, not notifying systemd: {}", socketPath, e.toString());
      loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
    socket = connected == null ? null : address;
    group = connected == null ? null : loop;
    channel = connected;
  }

  /** From {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID}. */
  public static SystemdNotifier fromEnvironment(Map<String, String> env) {
    long watchdog = 0;
    String usec = env.get("WATCHDOG_USEC");
    String pid = env.get("WATCHDOG_PID");
    if (usec != null && (pid == null || pid.equals(String.valueOf(ProcessHandle.current().pid())))) {
      // Ping at half the period systemd waits, as sd_watchdog_enabled(3) advises.
      watchdog = Long.parseLong(usec.trim()) / 2_000;
    }
    return new SystemdNotifier(env.get("NOTIFY_SOCKET"), watchdog);
  }

  public boolean enabled() {
    return socket != null;
  }

  /** How often to send {@code WATCHDOG=1}, or 0 when systemd watches nothing. */
  public long watchdogMillis() {
    return enabled() ? watchdogMillis : 0;
  }

  /** Sends one notification, e.g. {@code READY=1\nSTATUS=...}. */
  public void send(String state) {
    if (!enabled()) {
      return;
    }
    channel.writeAndFlush(Unpooled.copiedBuffer(state, StandardCharsets.UTF_8))
        .addListener(f -> {
          if (!f.isSuccess()) {
            LOG.warn("systemd notification '{}' failed: {}", state.lines().findFirst().orElse(""), f.cause().toString());
          }
        });
  }

  @Override
  public void close() {
    if (enabled()) {
      channel.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
