package dev.lbhealth.agent.probe;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.vertx.core.Handler;
import io.vertx.core.internal.ContextInternal;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One tcp connect probe on Netty's epoll event loop at the system-call level, as HAProxy makes
 * its checks: a non-blocking socket with SO_LINGER 0 and TCP_QUICKACK off, connect, wait for it
 * to be writable, read the connect's outcome, close (a reset). With the handshake's last ACK held
 * back, the reset goes out before it: the node's kernel answered the SYN, so its port is open,
 * but its application never sees a connection (no accept, no "connection closed" in sshd's log),
 * and neither kernel builds an established connection it would tear down at once. Nine system
 * calls a probe (socket, the getsockname Netty makes, two options, connect, two epoll_ctl,
 * SO_ERROR, close), where a Netty channel takes fourteen (socket options, a pipeline's
 * registrations, addresses, a linger check), and no channel, pipeline or promise objects. The socket is registered with the event loop the agent
 * already runs on: no thread of its own. Used on that event loop only.
 */
final class EpollConnect implements EpollIoHandle {
  /** Linux's {@code IPPROTO_TCP} and {@code TCP_QUICKACK} (netinet/in.h, netinet/tcp.h). */
  private static final int IPPROTO_TCP = 6;
  private static final int TCP_QUICKACK = 12;

  /** Whether the event loop can take raw epoll registrations (the native transport is in use). */
  static boolean supports(IoEventLoop loop) {
    return loop.isCompatible(EpollConnect.class);
  }

  private final LinuxSocket socket;
  private final long start;
  private final int timeoutMs;
  private final ContextInternal context;
  private final Handler<ProbeResult> done;
  private final ProbeDeadlines deadlines;
  private IoRegistration registration;
  private boolean finished;
  /** Its place among the probes out ({@link ProbeDeadlines}). */
  long deadlineNanos;
  ProbeDeadlines.Queue queue;
  EpollConnect previous;
  EpollConnect next;

  private EpollConnect(ContextInternal context, ProbeDeadlines deadlines, LinuxSocket socket, long start, int timeoutMs,
      Handler<ProbeResult> done) {
    this.context = context;
    this.deadlines = deadlines;
    this.socket = socket;
    this.start = start;
    this.timeoutMs = timeoutMs;
    this.done = done;
  }

  /**
   * Starts a probe of {@code address} on {@code loop}, the event loop of {@code context} (the
   * caller is on it); its outcome goes to {@code done}, on that context.
   */
  static void start(ContextInternal context, IoEventLoop loop, ProbeDeadlines deadlines, InetSocketAddress address, int timeoutMs,
      Handler<ProbeResult> done) {
    long start = System.nanoTime();
    LinuxSocket socket;
    try {
      socket = LinuxSocket.newSocketStream(address.getAddress() instanceof java.net.Inet4Address
          ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6);
    } catch (RuntimeException e) {
      // Out of file descriptors, most likely: the agent's own trouble, said as such.
      context.emit(ProbeResult.down(start, "probe socket: " + TcpProbe.describe(e)), done);
      return;
    }
    EpollConnect probe = new EpollConnect(context, deadlines, socket, start, timeoutMs, done);
    try {
      socket.setSoLinger(0);
      socket.setIntOpt(IPPROTO_TCP, TCP_QUICKACK, 0);
      if (socket.connect(address)) {
        probe.finish(null); // connected at once (it happens on loopback)
        return;
      }
    } catch (IOException e) {
      probe.finish(TcpProbe.describe(e));
      return;
    }
    deadlines.add(probe, start, timeoutMs);
    Future<IoRegistration> registering = loop.register(probe);
    if (registering.isDone()) {
      probe.registered(registering); // on the loop, it is done at once: no listener needed
    } else {
      registering.addListener(f -> probe.registered(registering));
    }
  }

  private void registered(Future<IoRegistration> f) {
    if (!f.isSuccess()) {
      finish("probe socket: " + TcpProbe.describe(f.cause()));
    } else if (finished) {
      f.getNow().cancel(); // timed out before the registration came back
    } else {
      registration = f.getNow();
      registration.submit(EpollIoOps.EPOLLOUT);
    }
  }

  @Override
  public FileDescriptor fd() {
    return socket;
  }

  @Override
  public void handle(IoRegistration registration, IoEvent event) {
    EpollIoOps ops = ((EpollIoEvent) event).ops();
    if (!ops.contains(EpollIoOps.EPOLLOUT) && !ops.contains(EpollIoOps.EPOLLERR)) {
      return;
    }
    try {
      if (socket.finishConnect()) {
        finish(null);
      }
    } catch (IOException e) {
      finish(TcpProbe.describe(e));
    }
  }

  /** Its timeout passed ({@link ProbeDeadlines}). */
  void timedOut() {
    finish("timeout after " + timeoutMs + "ms");
  }

  /** Settles the probe (null: up) and lets the socket go, once. */
  private void finish(String failure) {
    if (finished) {
      return;
    }
    finished = true;
    deadlines.remove(this);
    // Closed first: the kernel takes a closed socket out of the epoll set itself, and Netty, seeing
    // the descriptor closed, then only forgets the registration (no EPOLL_CTL_DEL, a system call
    // fewer). Nothing runs on this loop in between that could be given the same descriptor.
    close();
    if (registration != null) {
      registration.cancel();
    }
    // On the context, as its own callbacks are: what the caller does next (timers, applies) is on it too.
    context.emit(failure == null ? ProbeResult.up(start) : ProbeResult.down(start, failure), done);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing a socket we own: nothing to do about it
    }
  }
}
