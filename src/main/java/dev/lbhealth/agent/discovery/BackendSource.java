package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.ServiceConfig;
import java.util.List;

/**
 * Where a service's targets come from. Implementations are called on the agent's context and
 * must not block; the list keeps the configured node order, which is the order the LB sees.
 */
public interface BackendSource {
  List<Target> targets(ServiceConfig service);
}
