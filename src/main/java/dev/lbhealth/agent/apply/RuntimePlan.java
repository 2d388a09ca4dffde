package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerSet.Server;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Runtime API commands that turn HAProxy's live servers into the desired set, and what each
 * of their answers must be. Pure: HAProxy's state and the leaving servers' fate come in, commands
 * come out.
 *
 * <p>Servers of the set: a missing one is added ({@code add server} leaves it in maintenance) and
 * then set to its state; a moved one gets its new address; a differing state is set. Servers
 * HAProxy has but the set does not are leaving: they drain first; one in {@code deletable} (no
 * connections left) is put in maintenance and deleted; one in {@code expired} (drained for the
 * drain timeout) has its connections shut and goes into maintenance, to be deleted once HAProxy
 * has closed them (it does so asynchronously, and refuses to delete a server that has any). Servers that gain traffic come first, so
 * capacity never dips between two commands of one exchange.
 *
 * @param commands what to send, in order
 * @param expected for each command, the start of the answer that means it worked ("" for none)
 * @param differences the servers of the set that differ from HAProxy, in words (for drift reports)
 * @param touched the servers the commands change, by name
 * @param adds whether a command adds a server (HAProxy gives it an id only then)
 */
record RuntimePlan(List<String> commands, List<String> expected, List<String> differences, Set<String> touched, boolean adds) {
  static final String ADDED = "New server registered.";
  static final String DELETED = "Server deleted.";

  static RuntimePlan of(String backend, Map<String, LiveServer> live, ServerSet desired, Set<String> deletable,
      Set<String> expired) {
    return of(backend, live, desired.servers(), leaving(live, desired), deletable, expired);
  }

  /**
   * The plan for some of the set's servers only (the set's others are as HAProxy has them, and
   * none leaves): for a set that differs from the one HAProxy was last seen to run in these.
   */
  static RuntimePlan forServers(String backend, Map<String, LiveServer> live, List<Server> servers) {
    return of(backend, live, servers, List.of(), Set.of(), Set.of());
  }

  private static RuntimePlan of(String backend, Map<String, LiveServer> live, List<Server> servers, List<String> leaving,
      Set<String> deletable, Set<String> expired) {
    List<String> gaining = new ArrayList<>();
    List<String> gainingExpected = new ArrayList<>();
    List<String> losing = new ArrayList<>();
    List<String> losingExpected = new ArrayList<>();
    List<String> differences = new ArrayList<>();
    Set<String> touched = new HashSet<>();
    boolean adds = false;
    for (Server s : servers) {
      Target t = s.target();
      LiveServer now = live.get(s.name());
      String id = backend + "/" + s.name();
      List<String> commands = s.state() == ServerState.READY ? gaining : losing;
      List<String> expected = s.state() == ServerState.READY ? gainingExpected : losingExpected;
      int before = commands.size();
      if (now == null) {
        adds = true;
        touched.add(s.name());
        differences.add(s.name() + ": missing, wanted " + s.state().word() + " at " + t.hostPort());
        commands.add("add server " + id + " " + t.hostPort());
        expected.add(ADDED);
        if (s.state() != ServerState.MAINT) {
          commands.add("set server " + id + " state " + s.state().word());
          expected.add("");
        }
        continue;
      }
      if (!now.at(t.address(), t.port())) {
        differences.add(s.name() + ": at " + Names.hostPort(now.address(), now.port())
            + ", wanted at " + t.hostPort());
        commands.add("set server " + id + " addr " + t.address() + " port " + t.port());
        // "IP changed from ...", "port changed from ...", or "no need to change the addr..."
        expected.add("");
      }
      if (now.state() != s.state()) {
        differences.add(s.name() + ": " + now.state().word() + ", wanted " + s.state().word());
        commands.add("set server " + id + " state " + s.state().word());
        expected.add("");
      }
      if (s.state() != ServerState.MAINT && now.weight() != now.initialWeight()) {
        differences.add(s.name() + ": weight " + now.weight() + ", wanted " + now.initialWeight());
        commands.add("set weight " + id + " " + now.initialWeight());
        expected.add("");
      }
      if (s.state() != ServerState.MAINT && now.state() != ServerState.MAINT && !now.running()) {
        // The agent's servers have no HAProxy checks: only a hand (set server ... health down) marks one down.
        differences.add(s.name() + ": marked down in HAProxy, wanted up");
        commands.add("set server " + id + " health up");
        expected.add("");
      }
      if (commands.size() > before) {
        touched.add(s.name());
      }
    }
    for (String name : leaving) {
      LiveServer now = live.get(name);
      String id = backend + "/" + name;
      int before = losing.size();
      if (!deletable.contains(name) && !expired.contains(name)) {
        if (now.state() == ServerState.READY) {
          losing.add("set server " + id + " state drain");
          losingExpected.add("");
        }
        continue;
      }
      if (expired.contains(name)) {
        losing.add("shutdown sessions server " + id);
        losingExpected.add("");
      }
      if (now.state() != ServerState.MAINT) {
        losing.add("set server " + id + " state maint");
        losingExpected.add("");
      }
      if (deletable.contains(name)) {
        losing.add("del server " + id);
        losingExpected.add(DELETED);
      }
      if (losing.size() > before) {
        touched.add(name);
      }
    }
    gaining.addAll(losing);
    gainingExpected.addAll(losingExpected);
    return new RuntimePlan(gaining, gainingExpected, differences, touched, adds);
  }

  /** Whether the plan deletes a server or shuts its sessions. */
  boolean removes() {
    return commands.stream().anyMatch(c -> c.startsWith("del server ") || c.startsWith("shutdown sessions "));
  }

  /** The live servers that are not in the set: leaving (draining, then deleted). */
  static List<String> leaving(Map<String, LiveServer> live, ServerSet desired) {
    int kept = 0;
    for (Server s : desired.servers()) {
      kept += live.containsKey(s.name()) ? 1 : 0;
    }
    if (kept == live.size()) {
      return List.of(); // every live server is one of the set's: none leaves (no set built)
    }
    Set<String> wanted = new HashSet<>();
    desired.servers().forEach(s -> wanted.add(s.name()));
    return live.keySet().stream().filter(name -> !wanted.contains(name)).toList();
  }

  /**
   * Null if every answer is what its command should get, else which command got what. A
   * {@code set server ... addr} answers with what changed, so only its error words are checked.
   */
  String refusal(List<String> answers) {
    for (int i = 0; i < commands.size(); i++) {
      String command = commands.get(i);
      String answer = answers.get(i);
      boolean ok = command.contains(" addr ")
          ? !answer.isEmpty() && (answer.startsWith("IP changed") || answer.startsWith("port changed")
              || answer.startsWith("no need to change"))
          : expected.get(i).isEmpty() ? answer.isEmpty() : answer.startsWith(expected.get(i));
      if (!ok) {
        return "HAProxy answered '" + command + "' with '" + HaproxyRuntimeApi.abbreviate(answer) + "'";
      }
    }
    return null;
  }
}
