package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.Target;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * HAProxy's Runtime API (the admin-level stats socket): switches servers between {@code ready}
 * and {@code maint} in the running process, with no reload. Blocking (with a deadline); call
 * from a worker.
 */
public final class HaproxyRuntimeApi {
  private final String endpoint;
  private final Duration timeout;

  /**
   * @param endpoint a Unix socket path, or host:port of a TCP stats socket
   * @param timeout how long one exchange may take, so a hung HAProxy cannot hold an apply
   */
  public HaproxyRuntimeApi(String endpoint, Duration timeout) {
    this.endpoint = endpoint;
    this.timeout = timeout;
  }

  /** Puts every server of the backend in the state the set says; throws with HAProxy's answer. */
  public void setStates(String backend, ServerSet set) throws IOException {
    List<String> commands = new ArrayList<>();
    for (Target t : set.all()) {
      commands.add("set server " + backend + "/" + t.node() + " state " + (set.isActive(t) ? "ready" : "maint"));
    }
    String answer = send(String.join("; ", commands)).strip();
    if (!answer.isEmpty()) {
      throw new IOException("HAProxy refused '" + String.join("; ", commands) + "': " + answer.replace('\n', ' '));
    }
  }

  private void await(Selector selector, long deadline) throws IOException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0 || selector.select(left) == 0) {
      throw new IOException("no answer within " + timeout.toMillis() + " ms");
    }
    selector.selectedKeys().clear();
  }

  /** Sends one line of commands and returns everything HAProxy answers before it closes. */
  public String send(String commandLine) throws IOException {
    SocketAddress address;
    StandardProtocolFamily family;
    if (endpoint.startsWith("/")) {
      address = UnixDomainSocketAddress.of(endpoint);
      family = StandardProtocolFamily.UNIX;
    } else {
      int colon = endpoint.lastIndexOf(':');
      address = new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
      family = StandardProtocolFamily.INET;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try (SocketChannel ch = SocketChannel.open(family); Selector selector = Selector.open()) {
      ch.configureBlocking(false);
      ch.register(selector, SelectionKey.OP_CONNECT);
      if (!ch.connect(address)) {
        await(selector, deadline);
        ch.finishConnect();
      }
      ByteBuffer out = ByteBuffer.wrap((commandLine + "\n").getBytes(StandardCharsets.US_ASCII));
      ch.register(selector, SelectionKey.OP_WRITE);
      while (out.hasRemaining()) {
        await(selector, deadline);
        ch.write(out);
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(4096);
      ch.register(selector, SelectionKey.OP_READ);
      while (true) {
        await(selector, deadline);
        int n = ch.read(in);
        if (n < 0) {
          return answer.toString(StandardCharsets.US_ASCII);
        }
        answer.write(in.array(), 0, in.position());
        in.clear();
      }
    } catch (IOException e) {
      throw new IOException("runtime API " + endpoint + ": " + e.getMessage(), e);
    }
  }
}
