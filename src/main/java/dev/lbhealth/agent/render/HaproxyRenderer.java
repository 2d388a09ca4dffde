package dev.lbhealth.agent.render;

import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.Target;
import java.util.Locale;

/**
 * One HAProxy {@code backend} section per service. Every target is a server, so that each keeps
 * its name and slot; those out of rotation are {@code disabled} (maintenance), which lets the
 * Runtime API switch them without a reload and keeps the file right for the next restart.
 */
public final class HaproxyRenderer implements Renderer {
  @Override
  public String render(ServiceConfig service, ServerSet set) {
    StringBuilder out = new StringBuilder();
    out.append("# Managed by lb-health-agent for service ").append(Renderer.safe("service", service.name()))
        .append(". Changes made here are overwritten.\n");
    out.append("backend ").append(Renderer.safe("backend", service.lb().upstream())).append('\n');
    out.append("    mode ").append(service.mode().name().toLowerCase(Locale.ROOT)).append('\n');
    out.append("    balance roundrobin\n");
    // A connect refused by a node that died since the last probe is retried on another server
    // at once, instead of three times on the same one about a second apart. Enough retries to
    // reach every node, so a fail-open set (all nodes) still finds the one that answers.
    out.append("    option redispatch 1\n");
    out.append("    retries ").append(Math.max(2, set.all().size() - 1)).append('\n');
    for (Target t : set.all()) {
      out.append("    server ").append(Renderer.safe("node", t.node())).append(' ')
          .append(Names.hostPort(address(t), t.port()));
      if (!set.isActive(t)) {
        out.append(" disabled");
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static String address(Target t) {
    if (!Names.isAddress(t.address())) {
      throw new IllegalArgumentException("address '" + t.address() + "' is not safe to render");
    }
    return t.address();
  }
}
