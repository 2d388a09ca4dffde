package dev.lbhealth.agent.config;

import java.util.List;

/**
 * The whole agent configuration, validated in full by {@link ConfigLoader}.
 *
 * @param kubernetes how to reach the Kubernetes API, or null when no service discovers its nodes
 */
public record AgentConfig(StatusConfig status, KubernetesConfig kubernetes, List<ServiceConfig> services) {
  public AgentConfig {
    services = List.copyOf(services);
  }
}
