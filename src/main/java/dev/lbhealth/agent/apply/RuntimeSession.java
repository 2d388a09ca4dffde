package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One HAProxy backend as the Runtime API shows it: what it ran when last read, and which HAProxy
 * process answered. Reads it, and sends a plan with a read-back in the same conversation; a
 * conversation another process answers (an old worker right after a reload) is not trusted.
 * Used by the Runtime API writer, one conversation at a time.
 */
final class RuntimeSession {
  /**
   * A plan that changes at most this many servers (none added or deleted) is read back server by
   * server ({@code show stat BACKEND 4 ID}); a larger one reads the whole backend. A flip of one
   * node in a backend of 5,000 servers then costs a few hundred bytes to read, not 2 MB.
   */
  static final int READ_BACK_ONE_BY_ONE = 32;

  /**
   * What HAProxy runs: servers (null: no such backend), their current sessions, and HAProxy's id
   * of each (to read one server back without the whole backend).
   */
  record State(Map<String, LiveServer> servers, Map<String, Integer> sessions, Map<String, Integer> ids) {}

  /**
   * How a plan went.
   *
   * @param refusal null when every answer was right and HAProxy then showed the set, else why not
   * @param answers the answers to the plan's steps, in order (empty if another process answered)
   * @param backendSeen whether HAProxy showed the backend in the read-back
   */
  record Sent(String refusal, List<String> answers, boolean backendSeen) {}

  private final HaproxyRuntimeApi api;
  private final String backend;
  /** HAProxy's state as last read back, or null when unknown (a failed exchange, a reload). */
  private State seen;
  /** The HAProxy process that answered the last read. */
  private String pid;
  private boolean answeredOnce;

  RuntimeSession(HaproxyRuntimeApi api, String backend) {
    this.api = api;
    this.backend = backend;
  }

  /** The state as last read back, or null. */
  State seen() {
    return seen;
  }

  /** Whether HAProxy has answered on the socket since the agent started. */
  boolean answeredOnce() {
    return answeredOnce;
  }

  /** A reload replaces what HAProxy runs, and the process that answers. */
  void forget() {
    seen = null;
    pid = null;
  }

  /**
   * Reads HAProxy's servers of the backend, and the current sessions of those not in {@code set}
   * (leaving: a server is deleted once it has none). Sessions are read only when some server
   * leaves, one by one for a few: the whole backend's {@code show stat} is some 2 MB at 5,000
   * servers, and the drift check reads HAProxy every few seconds.
   */
  Future<State> read(ServerSet set) {
    seen = null;
    return api.run(List.of("show info", "show servers state " + backend)).compose(a -> {
      pid = HaproxyFileWriter.pidOf(a.get(0));
      answeredOnce = true;
      LiveServer.Backend read = LiveServer.parseBackend(a.get(1));
      List<String> gone = read.servers() == null ? List.of() : RuntimePlan.leaving(read.servers(), set);
      return sessions(read, gone).map(sessions -> seen = new State(read.servers(), sessions, read.ids()));
    });
  }

  /** The current sessions of these servers: none asked for, a few one by one, or the whole backend's. */
  private Future<Map<String, Integer>> sessions(LiveServer.Backend read, List<String> names) {
    if (names.isEmpty()) {
      return Future.succeededFuture(new HashMap<>());
    }
    Integer backendId = read.ids().get(LiveServer.BACKEND_ID);
    if (names.size() > READ_BACK_ONE_BY_ONE || backendId == null) {
      return api.run(List.of("show stat " + backend + " 4 -1")).map(a -> LiveServer.parseSessions(a.get(0)));
    }
    List<String> commands = names.stream().map(name -> "show stat " + backendId + " 4 " + read.ids().get(name)).toList();
    return api.run(commands).map(answers -> {
      Map<String, Integer> sessions = new HashMap<>();
      for (int i = 0; i < names.size(); i++) {
        LiveServer.parseStat(answers.get(i), read.servers().get(names.get(i)), sessions);
      }
      return sessions;
    });
  }

  /** Sends the plan with a read-back at the end, in one conversation. */
  Future<Sent> send(RuntimePlan plan, ServerSet set) {
    // "show info" with the read-back: the answering process must be the one that was read. Right
    // after a reload the old worker may still answer on the socket, and what it is told is lost
    // with it. Last, not first: the commands reach HAProxy one answer sooner (the hot path).
    State before = seen;
    List<String> oneByOne = before == null || plan.adds() || plan.removes() || plan.touched().size() > READ_BACK_ONE_BY_ONE
        || !before.ids().containsKey(LiveServer.BACKEND_ID) || !before.ids().keySet().containsAll(plan.touched())
        ? null : List.copyOf(plan.touched());
    List<String> commands = new ArrayList<>(plan.steps().size() + 3);
    commands.addAll(plan.commands());
    if (oneByOne == null) {
      commands.add("show servers state " + backend);
      commands.add("show stat " + backend + " 4 -1");
    } else {
      // By the backend's id: "show stat NAME" would take a frontend of the same name.
      int backendId = before.ids().get(LiveServer.BACKEND_ID);
      oneByOne.forEach(name -> commands.add("show stat " + backendId + " 4 " + before.ids().get(name)));
    }
    commands.add("show info");
    seen = null;
    String readFrom = pid;
    return api.run(commands).map(all -> {
      String answering = HaproxyFileWriter.pidOf(all.get(all.size() - 1));
      List<String> answers = all.subList(0, all.size() - 1);
      if (readFrom != null && !readFrom.equals(answering)) {
        return new Sent("HAProxy process " + answering + " answered, not " + readFrom + " that was read (a reload in between)",
            List.of(), false);
      }
      String refusal = plan.refusal(answers);
      Map<String, LiveServer> after;
      if (oneByOne == null) {
        LiveServer.Backend read = LiveServer.parseBackend(answers.get(answers.size() - 2));
        after = read.servers();
        if (after != null) {
          seen = new State(after, LiveServer.parseSessions(answers.get(answers.size() - 1)), read.ids());
        }
      } else {
        after = readBackOneByOne(before, oneByOne, answers.subList(plan.steps().size(), answers.size()));
      }
      if (refusal == null) {
        // Read back one by one, only the changed servers are new; the others are as last read.
        refusal = after == null ? "HAProxy lost backend " + backend + " or one of its servers"
            : stateMismatch(after, oneByOne == null ? set.servers() : set.servers().stream()
                .filter(server -> plan.touched().contains(server.name())).toList());
      }
      return new Sent(refusal, answers.subList(0, plan.steps().size()), after != null);
    });
  }

  /**
   * HAProxy's servers after a plan read back server by server: the last full read with the
   * changed servers replaced (and {@code seen} set to it again), or null if one of them is gone.
   */
  private Map<String, LiveServer> readBackOneByOne(State before, List<String> names, List<String> answers) {
    // The last full read is no one else's (seen was cleared when the plan went out): updated in place.
    for (int i = 0; i < names.size(); i++) {
      LiveServer now = LiveServer.parseStat(answers.get(i), before.servers().get(names.get(i)), before.sessions());
      if (now == null) {
        return null;
      }
      before.servers().put(now.name(), now);
    }
    seen = before;
    return before.servers();
  }

  /** Null if HAProxy's servers are the set's, at its addresses and in its states (leaving ones aside). */
  private static String stateMismatch(Map<String, LiveServer> after, List<ServerSet.Server> servers) {
    for (ServerSet.Server s : servers) {
      LiveServer now = after.get(s.name());
      if (now == null || now.state() != s.state() || !now.at(s.target().address(), s.target().port()) || !now.serving()) {
        return "HAProxy shows " + (now == null ? "no server " + s.name() : now) + " after the commands, wanted " + s;
      }
    }
    return null;
  }

  /** The set with every server HAProxy already has left as HAProxy has it (report-only drift). */
  static ServerSet asLive(State state, ServerSet set) {
    List<ServerSet.Server> servers = new ArrayList<>();
    for (ServerSet.Server s : set.servers()) {
      LiveServer now = state.servers().get(s.name());
      servers.add(now == null ? s : new ServerSet.Server(
          new Target(s.target().service(), s.name(), now.address(), now.port()), now.state()));
    }
    return new ServerSet(servers, set.reason());
  }
}
