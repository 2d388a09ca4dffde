package dev.lbhealth.agent.config;

import java.nio.file.Path;

/**
 * The status listener: where it binds and, off loopback, the bearer token every request but
 * {@code /healthz} must carry.
 *
 * @param tokenFile where the token was read from, or null
 * @param token the token, or null when none is required
 */
public record StatusConfig(String host, int port, Path tokenFile, Secret token) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9900;

  public StatusConfig(String host, int port) {
    this(host, port, null, null);
  }

  /** Whether the host is a loopback address (then no token is needed). */
  public static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
  }

  /** A value that must never reach a log line or a response. */
  public record Secret(String value) {
    @Override
    public String toString() {
      return "(secret)";
    }
  }
}
