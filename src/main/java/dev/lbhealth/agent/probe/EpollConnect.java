package dev.lbhealth.agent.probe;

import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.epoll.Native;
import io.netty.channel.socket.SocketProtocolFamily;
import io.vertx.core.Handler;
import io.vertx.core.internal.ContextInternal;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One tcp connect probe at the system-call level, as HAProxy makes its checks: a non-blocking
 * socket with SO_LINGER 0 and TCP_QUICKACK off, connect, wait for it to be writable, close (a
 * reset). With the handshake's last ACK held back, the reset goes out before it: the node's kernel
 * answered the SYN, so its port is open, but its application never sees a connection (no accept,
 * no "connection closed" in sshd's log), and neither kernel builds an established connection it
 * would tear down at once. Seven system calls a probe that answers (socket, the getsockname Netty
 * makes, two options, connect, one epoll_ctl into {@link ProbeSockets}, close; a failed one adds
 * SO_ERROR for its reason), where a Netty channel takes fourteen, and no channel, pipeline,
 * promise or registration objects. It runs on the event loop the agent already runs on: no
 * thread of its own. Used on that event loop only.
 */
final class EpollConnect {
  /** Linux's {@code IPPROTO_TCP} and {@code TCP_QUICKACK} (netinet/in.h, netinet/tcp.h). */
  private static final int IPPROTO_TCP = 6;
  private static final int TCP_QUICKACK = 12;

  private final LinuxSocket socket;
  private final long start;
  private final int timeoutMs;
  private final ContextInternal context;
  private final Handler<ProbeResult> done;
  private final ProbeDeadlines deadlines;
  private final ProbeSockets sockets;
  private boolean finished;
  /** Its place among the probes out ({@link ProbeDeadlines}). */
  long deadlineNanos;
  ProbeDeadlines.Queue queue;
  EpollConnect previous;
  EpollConnect next;

  private EpollConnect(ContextInternal context, ProbeSockets sockets, ProbeDeadlines deadlines, LinuxSocket socket, long start,
      int timeoutMs, Handler<ProbeResult> done) {
    this.context = context;
    this.sockets = sockets;
    this.deadlines = deadlines;
    this.socket = socket;
    this.start = start;
    this.timeoutMs = timeoutMs;
    this.done = done;
  }

  /**
   * Starts a probe of {@code address} whose socket waits in {@code sockets}, on the event loop of
   * {@code context} (the caller is on it); its outcome goes to {@code done}, on that context.
   */
  static void start(ContextInternal context, ProbeSockets sockets, ProbeDeadlines deadlines, InetSocketAddress address,
      int timeoutMs, Handler<ProbeResult> done) {
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
    EpollConnect probe = new EpollConnect(context, sockets, deadlines, socket, start, timeoutMs, done);
    try {
      socket.setSoLinger(0);
      socket.setIntOpt(IPPROTO_TCP, TCP_QUICKACK, 0);
      if (socket.connect(address)) {
        probe.finish(ProbeResult.up(probe.start)); // connected at once (it happens on loopback)
        return;
      }
      sockets.add(probe, socket.intValue());
    } catch (IOException e) {
      probe.finish(ProbeResult.down(probe.start, TcpProbe.describe(e)));
      return;
    }
    deadlines.add(probe, start, timeoutMs);
  }

  /** Its socket is ready ({@link ProbeSockets}), with {@code events} epoll's flags. */
  void ready(int events) {
    if ((events & Native.EPOLLERR) == 0) {
      if ((events & Native.EPOLLOUT) != 0) {
        finish(ProbeResult.up(start)); // writable with no error pending: connected, as HAProxy reads it (no SO_ERROR call)
      }
      return;
    }
    try {
      // An error is pending: SO_ERROR says which (refused, unreachable, reset).
      if (socket.finishConnect()) {
        finish(ProbeResult.up(start));
      }
    } catch (IOException e) {
      finish(ProbeResult.down(start, TcpProbe.describe(e)));
    }
  }

  /** Its timeout passed ({@link ProbeDeadlines}). */
  void timedOut() {
    finish(ProbeResult.timeout(start, timeoutMs));
  }

  /** Settles the probe and lets the socket go, once. */
  private void finish(ProbeResult result) {
    if (finished) {
      return;
    }
    finished = true;
    deadlines.remove(this);
    sockets.remove(socket.intValue()); // before the close: the descriptor may be reused at once
    try {
      socket.close(); // the kernel drops a closed socket from the epoll set itself
    } catch (IOException e) {
      // closing a socket we own: nothing to do about it
    }
    // On the context, as its own callbacks are: what the caller does next (timers, applies) is on it too.
    context.emit(result, done);
  }
}
