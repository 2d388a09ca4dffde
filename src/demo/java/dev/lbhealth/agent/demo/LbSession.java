package dev.lbhealth.agent.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A client connection through the LB that stays open, like an SSH session: reads the banner
 * once, then can ask which node serves it. Blocking; for the tests and the benchmarks.
 */
public final class LbSession implements AutoCloseable {
  private final Socket socket = new Socket();
  private final BufferedReader in;

  public LbSession(int port) throws IOException {
    socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    socket.setSoTimeout(5000);
    in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
    String banner = in.readLine();
    if (banner == null || !banner.startsWith("SSH-2.0-")) {
      throw new IOException("no banner through the LB: " + banner);
    }
  }

  /** Which node answers on this connection, or null if the connection was closed. */
  public String node() {
    try {
      socket.getOutputStream().write("hello\r\n".getBytes(StandardCharsets.US_ASCII));
      return in.readLine();
    } catch (IOException closed) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
