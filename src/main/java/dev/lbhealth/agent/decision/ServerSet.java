package dev.lbhealth.agent.decision;

import dev.lbhealth.agent.discovery.Target;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The servers the LB should have for a service and the state of each; immutable. Every known
 * target is a server (so that each keeps its name and slot whether or not it is in rotation); a
 * target that is not in the set is not a server at all (the LB drains, then removes it).
 */
public final class ServerSet {
  /** The reason of a set made of healthy servers. */
  public static final String HEALTHY = "healthy";
  /** One target as an LB server. */
  public record Server(Target target, ServerState state) {
    public String name() {
      return target.node();
    }
  }

  private final List<Server> servers;
  private final String reason;
  /** Each target's state, made when first asked for: a set on its way to the LB is mostly only walked. */
  private volatile Map<Target, ServerState> states;

  /**
   * @param servers the targets and their states, in the order the LB sees them
   * @param reason why this set: {@code healthy}, or the empty-set policy that produced it
   */
  public ServerSet(List<Server> servers, String reason) {
    this.servers = List.copyOf(servers);
    this.reason = reason;
  }

  /** Every target, those in {@code active} ready and the others in maintenance. */
  public static ServerSet of(List<Target> all, List<Target> active, String reason) {
    Set<Target> in = new HashSet<>(active);
    return new ServerSet(all.stream()
        .map(t -> new Server(t, in.contains(t) ? ServerState.READY : ServerState.MAINT)).toList(), reason);
  }

  public List<Server> servers() {
    return servers;
  }

  public String reason() {
    return reason;
  }

  /**
   * Whether the servers in rotation are there because they are healthy, not because no node is
   * and the service's {@code when-empty} policy put them there.
   */
  public boolean healthy() {
    return HEALTHY.equals(reason);
  }

  /** The state of a target in this set, or null if it is not one of its servers. */
  public ServerState state(Target t) {
    return states().get(t);
  }

  public boolean isActive(Target t) {
    return states().get(t) == ServerState.READY;
  }

  private Map<Target, ServerState> states() {
    if (states == null) {
      Map<Target, ServerState> made = new HashMap<>(servers.size() * 4 / 3 + 1);
      servers.forEach(s -> made.put(s.target(), s.state()));
      states = made;
    }
    return states;
  }

  public int size() {
    return servers.size();
  }

  /** Names of the servers in {@code state}, in order. */
  public List<String> nodes(ServerState state) {
    return servers.stream().filter(s -> s.state() == state).map(Server::name).toList();
  }

  public List<String> activeNodes() {
    return nodes(ServerState.READY);
  }

  /**
   * The servers whose state differs from those of {@code before}, in order; or null unless both
   * sets have the very same targets (the same objects) in the same order. A set decided again for
   * one node's change shares its targets with the last one: this finds the change without a
   * lookup per server.
   */
  public List<Server> statesChangedFrom(ServerSet before) {
    if (before == null || before.servers.size() != servers.size()) {
      return null;
    }
    List<Server> changed = new java.util.ArrayList<>(1);
    for (int i = 0; i < servers.size(); i++) {
      Server now = servers.get(i);
      Server then = before.servers.get(i);
      if (now.target() != then.target()) {
        return null;
      }
      if (now.state() != then.state()) {
        changed.add(now);
      }
    }
    return changed;
  }

  /** Same servers in the same states (the reason aside): the LB would see no difference. */
  public boolean sameServers(ServerSet other) {
    return other != null && servers.equals(other.servers);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServerSet s && servers.equals(s.servers) && reason.equals(s.reason);
  }

  @Override
  public int hashCode() {
    return Objects.hash(servers, reason);
  }

  @Override
  public String toString() {
    return "ServerSet" + servers + " (" + reason + ")";
  }
}
