package dev.lbhealth.agent.render;

import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerSet.Server;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;
import java.util.Locale;

/**
 * One HAProxy {@code backend} section per service. Every target is a server, so that each keeps
 * its name and slot; those out of rotation are {@code disabled} (maintenance), and so are those
 * draining (after a restart there is nothing left to drain), which keeps the file right for the
 * next restart while the Runtime API makes the live changes. The backend's settings (everything
 * above the servers but {@code retries}) are what a live change cannot alter: {@link #settings}.
 */
public final class HaproxyRenderer implements Renderer {
  @Override
  public String render(ServiceConfig service, ServerSet set) {
    StringBuilder out = new StringBuilder(settings(service));
    // Enough retries to reach every node, so a fail-open set (all nodes) still finds the one that
    // answers. A running HAProxy keeps its count until its next reload: a live change of the
    // servers does not need the new one.
    out.append("    retries ").append(Math.max(2, set.size() - 1)).append('\n');
    for (Server s : set.servers()) {
      Target t = s.target();
      out.append("    server ").append(Renderer.safe("node", t.node())).append(' ')
          .append(Names.hostPort(address(t), t.port()));
      if (s.state() != ServerState.READY) {
        out.append(" disabled");
      }
      out.append('\n');
    }
    return out.toString();
  }

  /**
   * The part of the file that the Runtime API cannot change: when it differs from the file
   * HAProxy loaded, only a reload brings it in. {@code balance roundrobin} is dynamic, so servers
   * can be added and deleted live.
   */
  public String settings(ServiceConfig service) {
    return Renderer.MARK + Renderer.safe("service", service.name())
        + ". Changes made here are overwritten.\n"
        + "backend " + Renderer.safe("backend", service.lb().upstream()) + "\n"
        + "    mode " + service.mode().name().toLowerCase(Locale.ROOT) + "\n"
        + "    balance roundrobin\n"
        // A connect refused by a node that died since the last probe is retried on another
        // server at once, instead of three times on the same one about a second apart.
        + "    option redispatch 1\n";
  }

  private static String address(Target t) {
    if (!Names.isAddress(t.address())) {
      throw new IllegalArgumentException("address '" + t.address() + "' is not safe to render");
    }
    return t.address();
  }
}
