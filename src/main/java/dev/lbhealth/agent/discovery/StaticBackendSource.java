package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.ServiceConfig;
import java.util.List;

/** Targets from the node list in the config file, in configured order. */
public final class StaticBackendSource {
  public List<Target> targets(ServiceConfig service) {
    return service.nodes().stream()
        .map(n -> new Target(service.name(), n.name(), n.address(), service.port()))
        .toList();
  }
}
