package dev.lbhealth.agent.config;

/** Where the status HTTP listener binds. */
public record StatusConfig(String host, int port) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 9900;
}
