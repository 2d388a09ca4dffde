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
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * HAProxy's Runtime API (the admin-level stats socket): switches servers between {@code ready}
 * and {@code maint} in the running process, with no reload. Blocking; call from a worker.
 */
public final class HaproxyRuntimeApi {
  private final String endpoint;

  /** @param endpoint a Unix socket path, or host:port of a TCP stats socket */
  public HaproxyRuntimeApi(String endpoint) {
    this.endpoint = endpoint;
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
    try (SocketChannel ch = SocketChannel.open(family)) {
      ch.connect(address);
      ByteBuffer out = ByteBuffer.wrap((commandLine + "\n").getBytes(StandardCharsets.US_ASCII));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(4096);
      while (ch.read(in) >= 0) {
        answer.write(in.array(), 0, in.position());
        in.clear();
      }
      return answer.toString(StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IOException("runtime API " + endpoint + ": " + e.getMessage(), e);
    }
  }
}
