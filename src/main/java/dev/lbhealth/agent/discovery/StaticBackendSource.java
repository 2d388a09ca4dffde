package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.ServiceConfig;
import java.util.List;

/** Targets from the node list in the config file. */
public final class StaticBackendSource implements BackendSource {
  @Override
  public List<Target> targets(ServiceConfig service) {
    return service.nodes().stream()
        .map(n -> new Target(service.name(), n.name(), n.address(), service.port()))
        .toList();
  }
}
