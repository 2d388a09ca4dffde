package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.ServiceConfig;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Targets from the node list in the config file, in configured order, and how they merge with discovered ones. */
public final class StaticBackendSource {
  public List<Target> targets(ServiceConfig service) {
    return service.nodes().stream()
        .map(n -> new Target(service.name(), n.name(), n.address(), service.port()))
        .toList();
  }

  /**
   * A service's whole view: its static nodes first (placement unknown), then the discovered
   * targets on nodes not listed statically (a node listed by hand is the operator's word).
   */
  public Map<Target, Placement> withDiscovered(ServiceConfig service, Map<Target, Placement> discovered) {
    List<Target> statics = targets(service);
    if (statics.isEmpty()) {
      return discovered;
    }
    Map<Target, Placement> view = new LinkedHashMap<>();
    Set<String> staticNodes = new HashSet<>();
    for (Target t : statics) {
      view.put(t, Placement.UNKNOWN);
      staticNodes.add(t.node());
    }
    discovered.forEach((t, p) -> {
      if (!staticNodes.contains(t.node())) {
        view.put(t, p);
      }
    });
    return view;
  }
}
