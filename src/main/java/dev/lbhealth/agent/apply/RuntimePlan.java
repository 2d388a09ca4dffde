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
 * @param steps what to send, in order
 * @param differences the servers of the set that differ from HAProxy, in words (for drift reports)
 * @param touched the servers the commands change, by name
 * @param adds whether a command adds a server (HAProxy gives it an id only then)
 */
record RuntimePlan(List<Command> steps, List<String> differences, Set<String> touched, boolean adds) {
  static final String ADDED = "New server registered.";
  static final String DELETED = "Server deleted.";

  /** What a command does to its server. */
  enum Kind { ADD, ADDRESS, STATE, WEIGHT, HEALTH, SHUT, DELETE }

  /**
   * One Runtime API command: what it does, to which server, its text, and the start of the answer
   * that means it worked ("" for none).
   */
  record Command(Kind kind, String server, String text, String expected) {
    private static Command of(Kind kind, String backend, String server, String rest, String expected) {
      String id = backend + "/" + server;
      String text = switch (kind) {
        case ADD -> "add server " + id + " " + rest;
        case ADDRESS, STATE, HEALTH -> "set server " + id + " " + rest;
        case WEIGHT -> "set weight " + id + " " + rest;
        case SHUT -> "shutdown sessions server " + id;
        case DELETE -> "del server " + id;
      };
      return new Command(kind, server, text, expected);
    }
  }

  /** The commands' texts, in order. */
  List<String> commands() {
    return steps.stream().map(Command::text).toList();
  }

  /** For each command, the start of the answer that means it worked ("" for none). */
  List<String> expected() {
    return steps.stream().map(Command::expected).toList();
  }

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
    List<Command> gaining = new ArrayList<>();
    List<Command> losing = new ArrayList<>();
    List<String> differences = new ArrayList<>();
    Set<String> touched = new HashSet<>();
    boolean adds = false;
    for (Server s : servers) {
      Target t = s.target();
      LiveServer now = live.get(s.name());
      String name = s.name();
      List<Command> commands = s.state() == ServerState.READY ? gaining : losing;
      int before = commands.size();
      if (now == null) {
        adds = true;
        touched.add(name);
        differences.add(s.name() + ": missing, wanted " + s.state().word() + " at " + t.hostPort());
        commands.add(Command.of(Kind.ADD, backend, name, t.hostPort(), ADDED));
        if (s.state() != ServerState.MAINT) {
          commands.add(Command.of(Kind.STATE, backend, name, "state " + s.state().word(), ""));
        }
        continue;
      }
      if (!now.at(t.address(), t.port())) {
        differences.add(s.name() + ": at " + Names.hostPort(now.address(), now.port())
            + ", wanted at " + t.hostPort());
        // "IP changed from ...", "port changed from ...", or "no need to change the addr..."
        commands.add(Command.of(Kind.ADDRESS, backend, name, "addr " + t.address() + " port " + t.port(), ""));
      }
      if (now.state() != s.state()) {
        differences.add(s.name() + ": " + now.state().word() + ", wanted " + s.state().word());
        commands.add(Command.of(Kind.STATE, backend, name, "state " + s.state().word(), ""));
      }
      if (s.state() != ServerState.MAINT && now.weight() != now.initialWeight()) {
        differences.add(s.name() + ": weight " + now.weight() + ", wanted " + now.initialWeight());
        commands.add(Command.of(Kind.WEIGHT, backend, name, String.valueOf(now.initialWeight()), ""));
      }
      if (s.state() != ServerState.MAINT && now.state() != ServerState.MAINT && !now.running()) {
        // The agent's servers have no HAProxy checks: only a hand (set server ... health down) marks one down.
        differences.add(s.name() + ": marked down in HAProxy, wanted up");
        commands.add(Command.of(Kind.HEALTH, backend, name, "health up", ""));
      }
      if (commands.size() > before) {
        touched.add(name);
      }
    }
    for (String name : leaving) {
      LiveServer now = live.get(name);
      int before = losing.size();
      if (!deletable.contains(name) && !expired.contains(name)) {
        if (now.state() == ServerState.READY) {
          losing.add(Command.of(Kind.STATE, backend, name, "state drain", ""));
        }
        continue;
      }
      if (expired.contains(name)) {
        losing.add(Command.of(Kind.SHUT, backend, name, "", ""));
      }
      if (now.state() != ServerState.MAINT) {
        losing.add(Command.of(Kind.STATE, backend, name, "state maint", ""));
      }
      if (deletable.contains(name)) {
        losing.add(Command.of(Kind.DELETE, backend, name, "", DELETED));
      }
      if (losing.size() > before) {
        touched.add(name);
      }
    }
    gaining.addAll(losing);
    return new RuntimePlan(List.copyOf(gaining), differences, touched, adds);
  }

  /** Whether the plan deletes a server or shuts its sessions. */
  boolean removes() {
    return steps.stream().anyMatch(c -> c.kind() == Kind.DELETE || c.kind() == Kind.SHUT);
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
    for (int i = 0; i < steps.size(); i++) {
      Command command = steps.get(i);
      String answer = answers.get(i);
      boolean ok = command.kind() == Kind.ADDRESS
          ? !answer.isEmpty() && (answer.startsWith("IP changed") || answer.startsWith("port changed")
              || answer.startsWith("no need to change"))
          : command.expected().isEmpty() ? answer.isEmpty() : answer.startsWith(command.expected());
      if (!ok) {
        return "HAProxy answered '" + command.text() + "' with '" + HaproxyRuntimeApi.abbreviate(answer) + "'";
      }
    }
    return null;
  }
}
