package dev.lbhealth.agent.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A client of the load balancer, like the seed's {@code nc}: connects, reads the banner, says
 * hello and reads which node answered. Blocking; for demo, tests and benchmark threads only.
 */
public final class LbClient {
  private final String host;
  private final int port;
  private final int timeoutMs;

  public LbClient(String host, int port, int timeoutMs) {
    this.host = host;
    this.port = port;
    this.timeoutMs = timeoutMs;
  }

  /** One connection through the LB. */
  public record Attempt(boolean ok, String node, long nanos, String error) {}

  public Attempt connect() {
    long start = System.nanoTime();
    try (Socket s = new Socket()) {
      s.setSoTimeout(timeoutMs);
      s.connect(new InetSocketAddress(host, port), timeoutMs);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      String banner = in.readLine();
      if (banner == null || !banner.startsWith("SSH-2.0-")) {
        return new Attempt(false, null, System.nanoTime() - start, banner == null ? "closed without a banner" : "banner " + banner);
      }
      OutputStream out = s.getOutputStream();
      out.write("SSH-2.0-lbclient\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String node = in.readLine();
      return new Attempt(node != null, node, System.nanoTime() - start, node == null ? "closed after the banner" : null);
    } catch (IOException e) {
      return new Attempt(false, null, System.nanoTime() - start, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
