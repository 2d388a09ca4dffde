package dev.lbhealth.agent.render;

import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.config.ServiceConfig.Mode;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerSet.Server;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;

/**
 * One nginx {@code upstream} per service, for a file included in {@code stream {}} (mode tcp) or
 * {@code http {}} (mode http). Every node is a server, those out of rotation marked {@code down}
 * (draining ones too: after a reload the old workers keep their connections, the nearest nginx OSS
 * has to a drain),
 * so the upstream is never empty (nginx refuses an upstream with no servers) and with all
 * servers down clients are refused at once ("no live upstreams") instead of hanging. With
 * {@code lb.listen}, the proxy {@code server} that uses the upstream is rendered too, with
 * timeouts that suit an actively checked upstream.
 */
public final class NginxRenderer implements Renderer {
  /**
   * nginx's own passive check stays on as a second line between two probes: a server that
   * refuses once is skipped for a short while, shorter than a probe cycle matters, so it never
   * overrules the agent for long.
   */
  static final String PASSIVE = " max_fails=1 fail_timeout=2s";
  /**
   * With no healthy node, the servers the policy keeps in rotation (all nodes, or the last set)
   * are tried on every connection: a pod that starts listening takes the next one, as HAProxy's
   * redispatch does, instead of waiting out a passive mark from the gap and then a reload.
   */
  static final String TRY_ALWAYS = " max_fails=0";

  @Override
  public String render(ServiceConfig service, ServerSet set) {
    String upstream = Renderer.safe("upstream", service.lb().upstream());
    StringBuilder out = new StringBuilder();
    out.append(Renderer.MARK).append(Renderer.safe("service", service.name()))
        .append(". Changes made here are overwritten.\n");
    out.append("# Include it in nginx's ").append(service.mode() == Mode.TCP ? "stream" : "http").append(" {} block.\n");
    out.append("upstream ").append(upstream).append(" {\n");
    for (Server s : set.servers()) {
      Target t = s.target();
      if (!Names.isAddress(t.address())) {
        throw new IllegalArgumentException("address '" + t.address() + "' is not safe to render");
      }
      out.append("    server ").append(Names.hostPort(t.address(), t.port()))
          .append(s.state() != ServerState.READY ? " down" : set.healthy() ? PASSIVE : TRY_ALWAYS)
          .append("; # ").append(Renderer.safe("node", t.node())).append('\n');
    }
    if (set.servers().isEmpty()) {
      // No node at all (discovery found none): nginx refuses an empty upstream, so one server
      // that is never used keeps the file valid; clients are refused at once, as with all down.
      out.append("    server 127.0.0.1:1 down; # no node\n");
    }
    out.append("}\n");
    if (service.lb().listen() != null) {
      int tries = Math.max(2, set.size());
      out.append(service.mode() == Mode.TCP ? stream(service, upstream, tries) : http(service, upstream, tries));
    }
    return out.toString();
  }

  private static String stream(ServiceConfig service, String upstream, int tries) {
    // A refused or timed-out connect moves on to the next server (nginx's default, said here so
    // it stays so); 1s instead of the default 60s keeps a blackholed node from costing a minute.
    return "server {\n"
        + "    listen " + service.lb().listen() + ";\n"
        + "    proxy_pass " + upstream + ";\n"
        + "    proxy_connect_timeout 1s;\n"
        + "    proxy_next_upstream on;\n"
        + "    proxy_next_upstream_tries " + tries + ";\n"
        + "}\n";
  }

  private static String http(ServiceConfig service, String upstream, int tries) {
    return "server {\n"
        + "    listen " + service.lb().listen() + ";\n"
        + "    location / {\n"
        + "        proxy_pass http://" + upstream + ";\n"
        + "        proxy_connect_timeout 1s;\n"
        + "        proxy_next_upstream error timeout;\n"
        + "        proxy_next_upstream_tries " + tries + ";\n"
        + "    }\n"
        + "}\n";
  }
}
