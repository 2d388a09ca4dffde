package dev.lbhealth.agent.config;

import java.util.List;

/** The whole agent configuration, validated in full by {@link ConfigLoader}. */
public record AgentConfig(StatusConfig status, List<ServiceConfig> services) {
  public AgentConfig {
    services = List.copyOf(services);
  }
}
