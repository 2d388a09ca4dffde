package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.discovery.Target;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

/**
 * The plain tcp probe, as HAProxy's {@code check} does it: connect, and on success close at once
 * with a reset (SO_LINGER 0), so that 10,000 probes a second leave no TIME_WAIT sockets behind and
 * cost the kernel one handshake each. It runs on the event loop of the context that made it (the
 * agent's). On Netty's native epoll a probe is a raw socket in an epoll set nested in that
 * loop's ({@link EpollConnect}, {@link ProbeSockets}); on NIO, or where that set cannot be made,
 * it is a Netty channel of the target's address family, never read, with the channel's connect
 * timeout as the probe's. Neither carries the NetSocket, metrics and timer of a Vert.x client
 * connection. A node given by name rather than address goes through
 * {@code byName}, Vert.x's client with its asynchronous resolver. Called from one thread at a time.
 */
final class ConnectProbe implements Probe {
  /** Connected channels need no handler: the probe closes them before any data is read. */
  @ChannelHandler.Sharable
  private static final class Idle extends ChannelInboundHandlerAdapter {
    static final Idle INSTANCE = new Idle();
  }

  private final ContextInternal context;
  private final Probe byName;
  private final Bootstraps ipv4;
  private final Bootstraps ipv6;
  /** The event loop when it is an epoll one: probes then go at the system-call level ({@link EpollConnect}). */
  private final IoEventLoop epoll;
  /** The sockets of the probes out on that loop, in an epoll set of their own. */
  private final ProbeSockets sockets;
  /** The timeouts of the probes out on epoll: one timer for the earliest, not one per probe. */
  private final ProbeDeadlines deadlines;

  ConnectProbe(Vertx vertx, Probe byName) {
    this.byName = byName;
    this.context = ((ContextInternal) vertx.getOrCreateContext());
    this.ipv4 = new Bootstraps(base(vertx, SocketProtocolFamily.INET));
    this.ipv6 = new Bootstraps(base(vertx, SocketProtocolFamily.INET6));
    this.sockets = vertx.isNativeTransportEnabled() && Epoll.isAvailable() && context.nettyEventLoop() instanceof IoEventLoop loop
        ? ProbeSockets.open(loop) : null;
    this.epoll = sockets == null ? null : (IoEventLoop) context.nettyEventLoop();
    this.deadlines = epoll == null ? null : new ProbeDeadlines(epoll);
  }

  /**
   * Sockets of the target's own family (an IPv4 node gets an IPv4 socket, not a dual-stack one),
   * reset on close, never read: a probe costs a dozen syscalls, not twenty.
   */
  private Bootstrap base(Vertx vertx, SocketProtocolFamily family) {
    ChannelFactory<? extends Channel> channels;
    if (!vertx.isNativeTransportEnabled()) {
      channels = () -> new NioSocketChannel(SelectorProvider.provider(), family);
    } else if (Epoll.isAvailable()) {
      channels = () -> new EpollSocketChannel(family);
    } else {
      channels = ((VertxInternal) vertx).transport().channelFactory(false); // another native transport
    }
    Bootstrap bootstrap = new Bootstrap()
        .group(context.nettyEventLoop())
        .channelFactory(channels)
        .handler(Idle.INSTANCE)
        .option(ChannelOption.SO_LINGER, 0)
        .option(ChannelOption.AUTO_READ, false);
    if (!vertx.isNativeTransportEnabled() && NIO_QUICKACK) {
      // As EpollConnect: the reset goes out before the handshake's last ACK.
      bootstrap.option(NioChannelOption.of(ExtendedSocketOptions.TCP_QUICKACK), false);
    }
    return bootstrap;
  }

  /** Whether the JDK's sockets take TCP_QUICKACK here (Linux). */
  private static final boolean NIO_QUICKACK = nioQuickAck();

  private static boolean nioQuickAck() {
    try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open()) {
      return probe.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** A family's bootstrap per connect timeout in use: a target's first probes have a longer one than the rest. */
  private static final class Bootstraps {
    private final Bootstrap base;
    private final int[] timeouts = {-1, -1};
    private final Bootstrap[] timed = new Bootstrap[2];
    private int replace;

    Bootstraps(Bootstrap base) {
      this.base = base;
    }

    Bootstrap withTimeout(int timeoutMs) {
      for (int i = 0; i < timeouts.length; i++) {
        if (timeouts[i] == timeoutMs) {
          return timed[i];
        }
      }
      int i = replace;
      replace = (replace + 1) % timeouts.length;
      timeouts[i] = timeoutMs;
      timed[i] = base.clone().option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMs);
      return timed[i];
    }
  }

  @Override
  public Future<ProbeResult> check(Target target, Duration timeout) {
    Promise<ProbeResult> result = context.promise();
    check(target, timeout, result::complete);
    return result.future();
  }

  @Override
  public void check(Target target, Duration timeout, Handler<ProbeResult> done) {
    prepare(target).check(timeout, done);
  }

  /**
   * A target given as an address is parsed once, here: a target is probed every second for
   * months. One given by name goes to {@code byName} each time (its address may change).
   */
  @Override
  public Prepared prepare(Target target) {
    InetSocketAddress address = literalAddress(target);
    return address == null ? (timeout, done) -> byName.check(target, timeout, done) : (timeout, done) -> connect(address, timeout, done);
  }

  private void connect(InetSocketAddress address, Duration timeout, Handler<ProbeResult> done) {
    int timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    if (epoll != null) {
      if (epoll.inEventLoop()) {
        EpollConnect.start(context, sockets, deadlines, address, timeoutMs, done);
      } else {
        epoll.execute(() -> EpollConnect.start(context, sockets, deadlines, address, timeoutMs, done));
      }
      return;
    }
    long start = System.nanoTime();
    (address.getAddress() instanceof Inet4Address ? ipv4 : ipv6).withTimeout(timeoutMs).connect(address).addListener((ChannelFutureListener) (ChannelFuture f) -> {
      if (f.isSuccess()) {
        // Closed once the connect is fully done: closed from within this listener, the channel
        // would still hold its connect promise and fail it with an exception (a stack trace per probe).
        Channel channel = f.channel();
        channel.eventLoop().execute(channel::close);
        context.emit(ProbeResult.up(start), done);
      } else {
        context.emit(f.cause() instanceof ConnectTimeoutException ? ProbeResult.timeout(start, timeoutMs)
            : ProbeResult.down(start, TcpProbe.describe(f.cause())), done);
      }
    });
  }

  /** The target's address when it is given as one (not a name), or null. */
  private static InetSocketAddress literalAddress(Target target) {
    byte[] ip = NetUtil.createByteArrayFromIpAddressString(target.address());
    if (ip == null) {
      return null;
    }
    try {
      return new InetSocketAddress(InetAddress.getByAddress(ip), target.port());
    } catch (UnknownHostException e) {
      return null; // not reached: the bytes are an address
    }
  }

  /** How many probes on epoll wait for their outcome (for tests). */
  int probesHeld() {
    return deadlines == null ? 0 : deadlines.held();
  }

  /** Whether probes go through {@link EpollConnect} (the native transport is in use). */
  boolean onEpoll() {
    return epoll != null;
  }

  @Override
  public Future<Void> close() {
    if (sockets != null) {
      try {
        epoll.execute(sockets::close);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // the loop is shutting down: it closes what is registered with it, the set included
      }
    }
    return byName.close();
  }
}
