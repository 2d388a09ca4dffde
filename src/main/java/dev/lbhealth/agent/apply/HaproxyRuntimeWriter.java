package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import io.vertx.core.Future;
import dev.lbhealth.agent.timing.Timers;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
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
final class HaproxyRuntimeWriter implements LbWriter, DriftCheck.Backend {
  private static final Logger LOG = LoggerFactory.getLogger(HaproxyRuntimeWriter.class);

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
  /** HAProxy's backend as last read back, and the process that answered. */
  private final RuntimeSession session;
  /** Whether the loaded backend is known to have the settings rendered now. */
  private boolean settingsLoaded;
  /** Servers HAProxy has that the set does not: draining until they have no session, or the drain timeout. */
  private final Drains drains;
  private final HostNames hostNames;
  /** The file, brought in line with what HAProxy runs. */
  private final FileFollower follower;
  /** HAProxy compared with what was applied, now and then, and brought back if it is gone. */
  private final DriftCheck drift;
  private boolean closed;
  /**
   * What keeps HAProxy from serving what the agent applied (it does not answer, lacks the backend,
   * failed to load a reload), or null: a problem of the service, for /healthz, STATUS= and the page.
   */
  private String lbProblem;

  HaproxyRuntimeWriter(Vertx vertx, Timers timers, ServiceConfig service, ApplyListener listener, LbControl control) {
    this.vertx = vertx;
    this.timers = timers;
    this.drains = new Drains(timers, service.lb().drainTimeout());
    this.service = service;
    this.backend = service.lb().upstream();
    this.listener = listener;
    this.api = new HaproxyRuntimeApi(vertx, control.runtimeApi(service), service.lb().commandTimeout());
    this.session = new RuntimeSession(api, backend);
    this.file = new HaproxyFileWriter(vertx, service, control);
    this.follower = new FileFollower(vertx, service, file, listener);
    this.hostNames = new HostNames(vertx, service.name());
    this.drift = new DriftCheck(vertx, timers, service, this, listener);
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
  public void problem(String problem) {
    lbProblem = problem;
  }

  @Override
  public ServerSet settled() {
    return closed || live == null || wanted != live ? null : live;
  }

  @Override
  public Future<ApplyResult> reload(ServerSet set, String why) {
    return fallback(set, System.nanoTime(), why);
  }

  @Override
  public boolean answeredOnce() {
    return session.answeredOnce();
  }

  @Override
  public boolean draining() {
    return drains.any();
  }

  @Override
  public Future<ApplyResult> apply(ServerSet set) {
    wanted = set;
    long start = System.nanoTime();
    return exclusive(() -> resolved(set).compose(r -> {
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
    drift.close();
    Future<?> done = Future.join(queue, follower.close());
    return done.transform(ignored -> api.close());
  }

  @Override
  public <T> Future<T> exclusive(Supplier<Future<T>> step) {
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
    RuntimeSession.State seen = session.seen();
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
      if (state.servers() == null) {
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

  /** Reads HAProxy (see {@link RuntimeSession#read}); a backend found clears the problem it had. */
  @Override
  public Future<RuntimeSession.State> read(ServerSet set) {
    return session.read(set).map(state -> {
      if (state.servers() != null) {
        lbProblem = null;
      }
      return state;
    });
  }

  /** The plan for HAProxy's state; tracks which servers are leaving and which may go now. */
  @Override
  public RuntimePlan plan(RuntimeSession.State state, ServerSet set) {
    Drains.Verdict drain = drains.look(RuntimePlan.leaving(state.servers(), set), state.sessions());
    RuntimePlan plan = RuntimePlan.of(backend, state.servers(), set, drain.deletable(), drain.expired());
    if (drain.stillDraining()) {
      drift.drainPoll();
    }
    return plan;
  }

  /**
   * Sends the plan with a read-back at the end; the future holds null when every answer was
   * right and HAProxy then showed the set, else why not. Servers it shut or deleted are noted.
   */
  @Override
  public Future<String> send(RuntimePlan plan, ServerSet set) {
    return session.send(plan, set).map(sent -> {
      if (sent.backendSeen()) {
        lbProblem = null;
      }
      removals(plan, sent.answers());
      return sent.refusal();
    });
  }

  /** The leaving servers the plan shut at the drain timeout or deleted, told and logged. */
  private void removals(RuntimePlan plan, List<String> answers) {
    List<String> drained = new ArrayList<>();
    List<String> cut = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
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
    session.forget(); // a reload replaces what HAProxy runs
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
}
