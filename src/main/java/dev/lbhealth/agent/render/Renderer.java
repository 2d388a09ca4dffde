package dev.lbhealth.agent.render;

import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;

/**
 * Renders a service's server set as the text of the LB file the agent owns. Pure and
 * deterministic: the same input gives the same bytes (no timestamps), so an unchanged set is
 * recognised by comparing text and costs no write and no reload.
 */
public interface Renderer {
  /**
   * How every rendered file begins, before the service's name: the mark by which the agent (and
   * the package's purge) knows its own files.
   */
  String MARK = "# Managed by lb-health-agent for service ";

  String render(ServiceConfig service, ServerSet set);

  /** Throws if a name could break or inject LB config; config validation keeps this from firing. */
  static String safe(String what, String name) {
    if (!dev.lbhealth.agent.config.Names.isName(name)) {
      throw new IllegalArgumentException(what + " '" + name + "' is not safe to render");
    }
    return name;
  }
}
