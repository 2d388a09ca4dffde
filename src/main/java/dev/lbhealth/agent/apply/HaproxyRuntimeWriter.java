package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.LbConfig.OnDrift;
import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import dev.lbhealth.agent.timing.Throttle;
import dev.lbhealth.agent.timing.Timers;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's HAProxy backend changed live over the Runtime API, with no reload: HAProxy's
 * servers are read ({@code show servers state}), compared with the set ({@link RuntimePlan}) and
 * changed by commands whose every answer is checked; the apply counts once HAProxy's state read
 * back matches. The file is brought in line afterwards, off the hot path and coalesced, and its
 * outcome reported on its own. A server that leaves the set drains and is deleted once its
 * connections are gone, or at the drain timeout. On a slow timer HAProxy is compared with what
 * was applied and a difference made elsewhere corrected (or reported). Falls back to validate,
 * write and reload, saying why, when the socket is missing or refuses a command, or the backend
 * itself must change. Runs on the agent's context; socket conversations go one at a time.
 */
final class HaproxyRuntimeWriter implements LbWriter {
  private static final Logger LOG = LoggerFactory.getLogger(HaproxyRuntimeWriter.class);
  private static final long DRAIN_POLL_MS = 1_000;
  /** HAProxy found down or without the backend is brought back (validate, write, reload) at most every 5 s. */
  private final Throttle recovery;

  private final Vertx vertx;
  private final Timers timers;
  private final ServiceConfig service;
  private final String backend;
  private final HaproxyRuntimeApi api;
  private final HaproxyFileWriter file;
  private final ApplyListener listener;
  /** One apply or drift check at a time: each starts when the one before has ended. */
  private Future<?> queue = Future.succeededFuture();
  /** The set asked for last, and the set HAProxy was last seen to run. */
  private ServerSet wanted;
  private ServerSet live;
  /** HAProxy's state as last read back, or null when unknown (a failed exchange). */
  private State seen;
  /** Whether the loaded backend is known to have the settings rendered now. */
  private boolean settingsLoaded;
  /** Servers HAProxy has that the set does not: draining until they have no session, or the drain timeout. */
  private final Drains drains;
  private final HostNames hostNames;
  /** The file, brought in line with what HAProxy runs. */
  private final FileFollower follower;
  private String lastCheckFailure;
  /** What differed at the last drift check: a difference left standing is reported once. */
  private List<String> lastDifferences = List.of();
  private final long driftTimer;
  private long drainTimer = -1;
  private boolean closed;
  /**
   * What keeps HAProxy from serving what the agent applied (it does not answer, lacks the backend,
   * failed to load a reload), or null: a problem of the service, for /healthz, STATUS= and the page.
   */
  private String lbProblem;
  /** Whether HAProxy has answered on the socket since the agent started. */
  private boolean answeredOnce;
  /** The HAProxy process that answered the last read; a conversation another one answers is not trusted. */
  private String pid;

  HaproxyRuntimeWriter(Vertx vertx, Timers timers, ServiceConfig service, ApplyListener listener) {
    this.vertx = vertx;
    this.timers = timers;
    this.drains = new Drains(timers, service.lb().drainTimeout());
    this.recovery = new Throttle(timers::nowNanos, java.time.Duration.ofSeconds(5), 1);
    this.service = service;
    this.backend = service.lb().upstream();
    this.listener = listener;
    this.api = new HaproxyRuntimeApi(vertx, service.lb().runtimeApi(), service.lb().commandTimeout());
    this.file = new HaproxyFileWriter(vertx, service);
    this.follower = new FileFollower(vertx, service, file, listener);
    this.hostNames = new HostNames(vertx, service.name());
    this.driftTimer = vertx.setPeriodic(service.lb().driftCheck().toMillis(), id -> check());
  }

  @Override
  public String preview(ServerSet set) {
    return file.preview(set);
  }

  @Override
  public boolean switchesLive() {
    return true;
  }

  @Override
  public String problem() {
    return lbProblem;
  }

  @Override
  public Future<ApplyResult> apply(ServerSet set) {
    wanted = set;
    long start = System.nanoTime();
    return enqueue(() -> resolved(set).compose(r -> {
      if (wanted == set) {
        wanted = r; // the drift check compares what was applied by identity
      }
      return sync(r, start);
    }, e -> Future.succeededFuture(new ApplyResult(Outcome.FAILED, "none", System.nanoTime() - start, List.of(e.getMessage())))));
  }

  /** The set at addresses (see {@link HostNames}); the set itself when HAProxy runs its very targets. */
  private Future<ServerSet> resolved(ServerSet set) {
    return set.statesChangedFrom(live) != null ? Future.succeededFuture(set) : hostNames.resolve(set);
  }

  @Override
  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(driftTimer);
    timers.cancelTimer(drainTimer);
    Future<?> done = Future.join(queue, follower.close());
    return done.transform(ignored -> api.close());
  }

  private <T> Future<T> enqueue(Supplier<Future<T>> step) {
    Future<T> mine = queue.transform(ignored -> step.get());
    queue = mine;
    return mine;
  }

  /**
   * Sends what differs and reads it back, in one conversation when HAProxy's state as last read
   * back is at hand; if that view was stale (a command refused, a read-back that differs), reads
   * afresh and tries once more before falling back to a reload.
   */
  private Future<ApplyResult> sync(ServerSet set, long start) {
    if (settingsLoaded && seen != null) {
      // The set HAProxy runs with some states changed (a flip): only those servers are planned.
      List<ServerSet.Server> changed = drains.any() ? null : set.statesChangedFrom(live);
      RuntimePlan plan = changed != null ? RuntimePlan.forServers(backend, seen.servers(), changed) : plan(seen, set);
      // Deleting a server or shutting its sessions is decided on a fresh read only.
      if (!plan.steps().isEmpty() && !plan.removes()) {
        return send(plan, set).compose(refusal -> {
          if (refusal == null) {
            return Future.succeededFuture(applied(set, start));
          }
          LOG.info("service {}: {}; reading HAProxy afresh", service.name(), refusal);
          return careful(set, start);
        }).recover(e -> careful(set, start));
      }
    }
    return careful(set, start);
  }

  private ApplyResult applied(ServerSet set, long start) {
    live = set;
    follower.follow(set);
    return new ApplyResult(Outcome.APPLIED, "runtime-api", System.nanoTime() - start, List.of());
  }

  /** Reads HAProxy, sends what differs, reads it back; falls back to a reload if it must. */
  private Future<ApplyResult> careful(ServerSet set, long start) {
    Future<Boolean> settings = settingsLoaded ? Future.succeededFuture(true) : vertx.executeBlocking(file::settingsOnDisk, false);
    return settings.compose(same -> read(set).compose(state -> {
      if (state.servers == null) {
        return fallback(set, start, "HAProxy has no backend " + backend + " yet");
      }
      if (!same) {
        return fallback(set, start, "the backend's settings differ from the file HAProxy loaded");
      }
      settingsLoaded = true;
      RuntimePlan plan = plan(state, set);
      if (plan.steps().isEmpty()) {
        live = set;
        follower.follow(set);
        return Future.succeededFuture(new ApplyResult(Outcome.UNCHANGED, "none", System.nanoTime() - start, List.of()));
      }
      return send(plan, set).compose(refusal -> refusal != null ? fallback(set, start, refusal)
          : Future.succeededFuture(applied(set, start)));
    })).recover(e -> fallback(set, start, e.getMessage()));
  }

  /**
   * What HAProxy runs now: servers (null: no such backend), their current sessions, and HAProxy's
   * id of each (to read one server back without the whole backend).
   */
  private record State(Map<String, LiveServer> servers, Map<String, Integer> sessions, Map<String, Integer> ids) {}

  /**
   * A plan that changes at most this many servers (none added or deleted) is read back server by
   * server ({@code show stat BACKEND 4 ID}); a larger one reads the whole backend. A flip of one
   * node in a backend of 5,000 servers then costs a few hundred bytes to read, not 2 MB.
   */
  static final int READ_BACK_ONE_BY_ONE = 32;

  /**
   * Reads HAProxy's servers of the backend, and the current sessions of those not in {@code set}
   * (leaving: a server is deleted once it has none). Sessions are read only when some server
   * leaves, one by one for a few: the whole backend's {@code show stat} is some 2 MB at 5,000
   * servers, and the drift check reads HAProxy every few seconds.
   */
  private Future<State> read(ServerSet set) {
    seen = null;
    return api.run(List.of("show info", "show servers state " + backend)).compose(a -> {
      pid = HaproxyFileWriter.pidOf(a.get(0));
      answeredOnce = true;
      LiveServer.Backend read = LiveServer.parseBackend(a.get(1));
      List<String> gone = read.servers() == null ? List.of() : RuntimePlan.leaving(read.servers(), set);
      return sessions(read, gone).map(sessions -> {
        seen = new State(read.servers(), sessions, read.ids());
        if (seen.servers != null) {
          lbProblem = null;
        }
        return seen;
      });
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

  /** The plan for HAProxy's state; tracks which servers are leaving and which may go now. */
  private RuntimePlan plan(State state, ServerSet set) {
    Drains.Verdict drain = drains.look(RuntimePlan.leaving(state.servers, set), state.sessions);
    RuntimePlan plan = RuntimePlan.of(backend, state.servers, set, drain.deletable(), drain.expired());
    scheduleDrainPoll(drain.stillDraining());
    return plan;
  }

  /** The set with every server HAProxy already has left as HAProxy has it (report-only drift). */
  private static ServerSet asLive(State state, ServerSet set) {
    List<ServerSet.Server> servers = new ArrayList<>();
    for (ServerSet.Server s : set.servers()) {
      LiveServer now = state.servers.get(s.name());
      servers.add(now == null ? s : new ServerSet.Server(
          new Target(s.target().service(), s.name(), now.address(), now.port()), now.state()));
    }
    return new ServerSet(servers, set.reason());
  }

  /**
   * Sends the plan with a read-back at the end; the future holds null when every answer was
   * right and HAProxy then showed the set, else why not.
   */
  private Future<String> send(RuntimePlan plan, ServerSet set) {
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
        return "HAProxy process " + answering + " answered, not " + readFrom + " that was read (a reload in between)";
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
      if (after != null) {
        lbProblem = null;
      }
      if (refusal == null) {
        // Read back one by one, only the changed servers are new; the others are as last read.
        refusal = after == null ? "HAProxy lost backend " + backend + " or one of its servers"
            : stateMismatch(after, oneByOne == null ? set.servers() : set.servers().stream()
                .filter(server -> plan.touched().contains(server.name())).toList());
      }
      List<String> drained = new ArrayList<>();
      List<String> cut = new ArrayList<>();
      for (int i = 0; i < plan.steps().size(); i++) {
        RuntimePlan.Command c = plan.steps().get(i);
        if (c.kind() == RuntimePlan.Kind.SHUT) {
          drains.shut(c.server());
        }
        if (c.kind() == RuntimePlan.Kind.DELETE && answers.get(i).startsWith(RuntimePlan.DELETED)) {
          boolean atTimeout = drains.deleted(c.server());
          (atTimeout ? cut : drained).add(c.server());
          listener.removed(c.server(), atTimeout);
        }
      }
      if (!drained.isEmpty()) {
        LOG.info("service {}: removed from HAProxy after draining: {}", service.name(), Names.listed(drained));
      }
      if (!cut.isEmpty()) {
        LOG.info("service {}: removed from HAProxy at the drain timeout, connections shut: {}", service.name(), Names.listed(cut));
      }
      return refusal;
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
  private String stateMismatch(Map<String, LiveServer> after, List<ServerSet.Server> servers) {
    for (ServerSet.Server s : servers) {
      LiveServer now = after.get(s.name());
      if (now == null || now.state() != s.state() || !now.at(s.target().address(), s.target().port()) || !now.serving()) {
        return "HAProxy shows " + (now == null ? "no server " + s.name() : now) + " after the commands, wanted " + s;
      }
    }
    return null;
  }

  /**
   * Validates, writes and reloads; the reload counts once a new HAProxy process answers with the
   * set's servers (read over the Runtime API: the same check as every live change). A write
   * deferred from an earlier live change is dropped: it would put an older set on disk after this
   * one. Whatever the outcome, the drift check goes on comparing HAProxy with the set.
   */
  private Future<ApplyResult> fallback(ServerSet set, long start, String why) {
    LOG.warn("service {}: {}; falling back to validate, write and reload", service.name(), why);
    settingsLoaded = false;
    seen = null; // a reload replaces what HAProxy runs
    pid = null;
    return follower.quiet().compose(ignored -> file.apply(set, true, api)).compose(reload -> {
      ApplyResult result = reload.result();
      List<String> errors = new ArrayList<>();
      errors.add(why + "; fell back to a reload");
      errors.addAll(result.errors());
      ApplyResult reported = new ApplyResult(result.outcome() == Outcome.FAILED ? Outcome.FAILED : Outcome.APPLIED,
          "reload", System.nanoTime() - start, errors);
      if (result.failed() && !reload.seen()) {
        // The reload went through, but the Runtime API cannot show what HAProxy loaded: applied,
        // and a problem of the service until HAProxy answers again.
        lbProblem = "reloaded, but cannot see what HAProxy runs: " + String.join("; ", result.errors());
        live = set;
        follower.written(set);
        return Future.succeededFuture(new ApplyResult(Outcome.APPLIED, "reload", reported.durationNanos(), errors));
      }
      if (reported.failed()) {
        lbProblem = "HAProxy does not serve backend " + backend + " as applied: " + String.join("; ", result.errors());
        return Future.succeededFuture(reported);
      }
      lbProblem = null;
      settingsLoaded = true;
      follower.written(set);
      live = set;
      // The file has no drain state: bring draining servers to it live (best effort).
      boolean draining = set.servers().stream().anyMatch(s -> s.state() == ServerState.DRAIN);
      return !draining ? Future.succeededFuture(reported)
          : read(set).compose(state -> send(plan(state, set), set)).transform(ignored -> Future.succeededFuture(reported));
    });
  }

  /**
   * The slow timer, and the drain poll: compare HAProxy with what was applied. HAProxy not
   * answering, or answering without the backend, is a problem of the service at once; the agent
   * then tries to bring it back with validate, write and the reload command (Debian's
   * {@code systemctl reload-or-restart haproxy} starts a stopped HAProxy), once per check, and
   * says so when that does not help.
   */
  private void check() {
    if (closed || live == null || wanted != live) {
      // Nothing applied yet, or an apply is on its way and will compare anyway; a leaving
      // server still gets its next look.
      scheduleDrainPoll(drains.any());
      return;
    }
    ServerSet set = live;
    enqueue(() -> read(set).compose(state -> {
      if (state.servers == null) {
        return Future.<Void>failedFuture(new LbGone("HAProxy has no backend " + backend));
      }
      boolean correct = service.lb().onDrift() == OnDrift.CORRECT;
      List<String> differences = RuntimePlan.of(backend, state.servers, set, Set.of(), Set.of()).differences();
      if (!differences.isEmpty() && (correct || !differences.equals(lastDifferences))) {
        LOG.warn("service {}: HAProxy differs from what the agent applied ({}); {}", service.name(),
            String.join("; ", differences), correct ? "correcting it" : "reporting only (on-drift: report)");
        listener.drift(differences, correct);
      }
      lastDifferences = differences;
      // Reporting only: plan against HAProxy's own view of the set's servers, so that only the
      // leaving servers' drain and deletion remain.
      ServerSet target = correct ? set : asLive(state, set);
      RuntimePlan plan = plan(state, target);
      return plan.steps().isEmpty() ? Future.succeededFuture()
          : send(plan, target).compose(refusal -> refusal == null ? Future.succeededFuture() : Future.failedFuture(refusal));
    }).recover(e -> {
      if (closed || live != set || wanted != set) {
        return Future.failedFuture(e); // an apply came meanwhile: it brings HAProxy in line itself
      }
      String gone = e instanceof LbGone ? e.getMessage() : "HAProxy does not answer (" + e.getMessage() + ")";
      if (!(e instanceof LbGone) && !answeredOnce) {
        // Never seen answering (a wrong path, the agent's user not in group haproxy): no reload can help.
        lbProblem = "cannot see what HAProxy runs: " + gone;
        return Future.failedFuture(lbProblem);
      }
      if (!recovery.tryNow()) {
        return Future.failedFuture(lbProblem); // tried a moment ago: the problem stands as reported then
      }
      lbProblem = gone + "; bringing it back with the reload command";
      return fallback(set, System.nanoTime(), gone).compose(result -> {
        if (result.failed()) {
          lbProblem = gone + "; the reload command did not bring it back: " + String.join("; ", result.errors().subList(1, result.errors().size()));
          return Future.failedFuture(lbProblem);
        }
        LOG.info("service {}: HAProxy serves backend {} again", service.name(), backend);
        return Future.succeededFuture();
      });
    })).onComplete(ar -> {
      String failure = ar.failed() ? ar.cause().getMessage() : null;
      if (failure != null && !failure.equals(lastCheckFailure)) {
        LOG.warn("service {}: drift check failed: {}", service.name(), failure);
      }
      lastCheckFailure = failure;
      if (failure != null && drains.any()) {
        scheduleDrainPoll(true); // a leaving server still waits for its deletion
      }
    });
  }

  /** HAProxy answers, but without the backend: it runs a config that lacks the agent's file. */
  private static final class LbGone extends Exception {
    LbGone(String message) {
      super(message, null, false, false);
    }
  }

  private void scheduleDrainPoll(boolean needed) {
    if (needed && drainTimer < 0 && !closed) {
      drainTimer = timers.setTimer(Math.min(DRAIN_POLL_MS, Math.max(1, service.lb().drainTimeout().toMillis())), () -> {
        drainTimer = -1;
        check();
      });
    }
  }
}
