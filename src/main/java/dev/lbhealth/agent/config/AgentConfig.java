package dev.lbhealth.agent.config;

import java.util.List;

/**
 * The whole agent configuration, validated in full by {@link ConfigLoader}.
 *
 * @param kubernetes how to reach the Kubernetes API, or null when no service discovers its nodes
 * @param sha256 the SHA-256 of the file's bytes (hex), or null for a config made in memory: /status
 *     shows it, so a deployment tool can tell whether the agent runs the file it wrote
 */
public record AgentConfig(StatusConfig status, KubernetesConfig kubernetes, List<ServiceConfig> services, String sha256) {
  public AgentConfig {
    services = List.copyOf(services);
  }

  /** A config made in memory (tests, benchmarks). */
  public AgentConfig(StatusConfig status, KubernetesConfig kubernetes, List<ServiceConfig> services) {
    this(status, kubernetes, services, null);
  }

  /** The SHA-256 of a text's UTF-8 bytes, in lower-case hex. */
  public static String sha256(String text) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
