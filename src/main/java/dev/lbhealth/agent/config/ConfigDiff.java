package dev.lbhealth.agent.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a re-read config (SIGHUP) changes against the running one, service by service. Pure: the
 * agent acts on it, and its {@link #changes} are what the log and /status say.
 *
 * @param unchanged services to keep as they run
 * @param nodesOnly services whose static nodes alone changed: followed live, probe state kept
 * @param changed services changed otherwise: stopped and started anew
 * @param added services new in the config
 * @param removed names of the services gone from the config, in the running config's order
 * @param changes one phrase per change, in the new config's order, then removals, then what
 *     takes effect only at the next restart
 */
public record ConfigDiff(List<ServiceConfig> unchanged, List<ServiceConfig> nodesOnly, List<ServiceConfig> changed,
    List<ServiceConfig> added, List<String> removed, List<String> changes) {

  public static ConfigDiff between(AgentConfig running, AgentConfig next) {
    Map<String, ServiceConfig> before = new LinkedHashMap<>();
    running.services().forEach(s -> before.put(s.name(), s));
    List<ServiceConfig> unchanged = new ArrayList<>();
    List<ServiceConfig> nodesOnly = new ArrayList<>();
    List<ServiceConfig> changed = new ArrayList<>();
    List<ServiceConfig> added = new ArrayList<>();
    List<String> changes = new ArrayList<>();
    for (ServiceConfig s : next.services()) {
      ServiceConfig current = before.remove(s.name());
      if (s.equals(current)) {
        unchanged.add(s);
      } else if (current != null && current.withNodes(s.nodes()).equals(s)) {
        nodesOnly.add(s);
        changes.add("nodes of " + s.name());
      } else if (current != null) {
        changed.add(s);
        changes.add("changed " + s.name());
      } else {
        added.add(s);
        changes.add("added " + s.name());
      }
    }
    List<String> removed = List.copyOf(before.keySet());
    removed.forEach(name -> changes.add("removed " + name));
    if (!Objects.equals(next.kubernetes(), running.kubernetes())) {
      changes.add("kubernetes connection unchanged until restart");
    }
    if (!next.status().equals(running.status())) {
      changes.add("status listener unchanged until restart (" + next.status().host() + ":" + next.status().port() + ")");
    }
    return new ConfigDiff(List.copyOf(unchanged), List.copyOf(nodesOnly), List.copyOf(changed), List.copyOf(added), removed,
        List.copyOf(changes));
  }
}
