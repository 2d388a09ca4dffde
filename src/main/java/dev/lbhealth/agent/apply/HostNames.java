package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A service's nodes given by host name, resolved for HAProxy's Runtime API, which takes addresses only. */
final class HostNames {
  private static final Logger LOG = LoggerFactory.getLogger(HostNames.class);

  private final Vertx vertx;
  private final String service;
  /** Host names seen not to resolve (each said once in the log); written on a worker. */
  private final Set<String> unresolved = java.util.concurrent.ConcurrentHashMap.newKeySet();

  HostNames(Vertx vertx, String service) {
    this.vertx = vertx;
    this.service = service;
  }

  /**
   * The set with every node given by host name at its address: HAProxy's Runtime API takes
   * addresses only ({@code set server ... addr NAME} is refused) and shows addresses, so a name
   * is resolved here (as the system resolves it, /etc/hosts first) and HAProxy, the comparison
   * and the file all get the address. The set itself when every node is an address. A name that
   * does not resolve cannot be a server: out of rotation it is left out of the set (and said once
   * in the log); wanted in rotation, the apply fails and names it.
   */
  Future<ServerSet> resolve(ServerSet set) {
    if (set.servers().stream().allMatch(s -> NetUtil.isValidIpV4Address(s.target().address())
        || NetUtil.isValidIpV6Address(s.target().address()))) {
      return Future.succeededFuture(set);
    }
    return vertx.executeBlocking(() -> {
      List<ServerSet.Server> servers = new ArrayList<>(set.size());
      for (ServerSet.Server s : set.servers()) {
        Target t = s.target();
        String address = t.address();
        if (!NetUtil.isValidIpV4Address(address) && !NetUtil.isValidIpV6Address(address)) {
          try {
            address = java.net.InetAddress.getByName(address).getHostAddress();
            unresolved.remove(t.address());
          } catch (java.net.UnknownHostException e) {
            String why = "node " + t.node() + ": host name " + t.address()
                + " does not resolve, and HAProxy's Runtime API takes addresses only";
            if (s.state() != ServerState.MAINT) {
              throw new IllegalStateException(why);
            }
            if (unresolved.add(t.address())) {
              LOG.warn("service {}: {}; left out of the backend while out of rotation", service, why);
            }
            continue;
          }
        }
        servers.add(new ServerSet.Server(new Target(t.service(), t.node(), address, t.port()), s.state()));
      }
      return new ServerSet(servers, set.reason());
    }, false);
  }
}
