package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.LbConfig.OnDrift;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.timing.Throttle;
import dev.lbhealth.agent.timing.Timers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy compared with what the agent applied, every {@code lb.drift-check} and, while servers
 * drain, every second: a difference made elsewhere (a hand on the socket, a restart) is corrected
 * or, with {@code on-drift: report}, reported; a leaving server gets its next look. HAProxy not
 * answering, or answering without the backend, is a problem of the service at once; the agent then
 * tries to bring it back with validate, write and the reload command (Debian's
 * {@code systemctl reload-or-restart haproxy} starts a stopped HAProxy), at most every 5 s, and
 * says so when that does not help. Runs on the agent's context.
 */
final class DriftCheck {
  private static final Logger LOG = LoggerFactory.getLogger(HaproxyRuntimeWriter.class);
  private static final long DRAIN_POLL_MS = 1_000;

  /** The backend the check works on: the Runtime API writer. */
  interface Backend {
    /** The set HAProxy is to run now, or null (nothing applied yet, an apply on its way, closed). */
    ServerSet settled();

    /** Runs {@code step} when no other conversation with HAProxy is under way. */
    <T> Future<T> exclusive(Supplier<Future<T>> step);

    Future<RuntimeSession.State> read(ServerSet set);

    RuntimePlan plan(RuntimeSession.State state, ServerSet set);

    /** Null when HAProxy took the plan and shows the set, else why not. */
    Future<String> send(RuntimePlan plan, ServerSet set);

    /** Validate, write and reload, for {@code why}. */
    Future<ApplyResult> reload(ServerSet set, String why);

    boolean answeredOnce();

    /** Whether servers are leaving HAProxy (draining until deleted). */
    boolean draining();

    String problem();

    void problem(String problem);
  }

  private final Vertx vertx;
  private final Timers timers;
  private final ServiceConfig service;
  private final Backend backend;
  private final ApplyListener listener;
  /** HAProxy found down or without the backend is brought back at most every 5 s. */
  private final Throttle recovery;
  private final long checkTimer;
  private long drainTimer = -1;
  private boolean closed;
  private String lastFailure;
  /** What differed at the last check: a difference left standing is reported once. */
  private List<String> lastDifferences = List.of();

  DriftCheck(Vertx vertx, Timers timers, ServiceConfig service, Backend backend, ApplyListener listener) {
    this.vertx = vertx;
    this.timers = timers;
    this.service = service;
    this.backend = backend;
    this.listener = listener;
    this.recovery = new Throttle(timers::nowNanos, Duration.ofSeconds(5), 1);
    this.checkTimer = vertx.setPeriodic(service.lb().driftCheck().toMillis(), id -> check());
  }

  /** Servers drain: HAProxy is looked at again within a second (or the drain timeout, if shorter). */
  void drainPoll() {
    if (drainTimer < 0 && !closed) {
      drainTimer = timers.setTimer(Math.min(DRAIN_POLL_MS, Math.max(1, service.lb().drainTimeout().toMillis())), () -> {
        drainTimer = -1;
        check();
      });
    }
  }

  void close() {
    closed = true;
    vertx.cancelTimer(checkTimer);
    timers.cancelTimer(drainTimer);
  }

  private void check() {
    ServerSet set = backend.settled();
    if (closed || set == null) {
      if (backend.draining()) {
        drainPoll(); // an apply on its way compares anyway; a leaving server still gets its next look
      }
      return;
    }
    String name = service.lb().upstream();
    backend.exclusive(() -> backend.read(set).compose(state -> {
      if (state.servers() == null) {
        return Future.<Void>failedFuture(new LbGone("HAProxy has no backend " + name));
      }
      boolean correct = service.lb().onDrift() == OnDrift.CORRECT;
      List<String> differences = RuntimePlan.of(name, state.servers(), set, Set.of(), Set.of()).differences();
      if (!differences.isEmpty() && (correct || !differences.equals(lastDifferences))) {
        LOG.warn("service {}: HAProxy differs from what the agent applied ({}); {}", service.name(),
            String.join("; ", differences), correct ? "correcting it" : "reporting only (on-drift: report)");
        listener.drift(differences, correct);
      }
      lastDifferences = differences;
      // Reporting only: plan against HAProxy's own view of the set's servers, so that only the
      // leaving servers' drain and deletion remain.
      ServerSet target = correct ? set : RuntimeSession.asLive(state, set);
      RuntimePlan plan = backend.plan(state, target);
      return plan.steps().isEmpty() ? Future.succeededFuture()
          : backend.send(plan, target).compose(refusal -> refusal == null ? Future.succeededFuture() : Future.failedFuture(refusal));
    }).recover(e -> recover(set, e))).onComplete(ar -> {
      String failure = ar.failed() ? ar.cause().getMessage() : null;
      if (failure != null && !failure.equals(lastFailure)) {
        LOG.warn("service {}: drift check failed: {}", service.name(), failure);
      }
      lastFailure = failure;
      if (failure != null && backend.draining()) {
        drainPoll(); // a leaving server still waits for its deletion
      }
    });
  }

  /** HAProxy did not answer, or lacks the backend: a problem at once, and a reload to bring it back. */
  private Future<Void> recover(ServerSet set, Throwable e) {
    if (closed || backend.settled() != set) {
      return Future.failedFuture(e); // an apply came meanwhile: it brings HAProxy in line itself
    }
    String gone = e instanceof LbGone ? e.getMessage() : "HAProxy does not answer (" + e.getMessage() + ")";
    if (!(e instanceof LbGone) && !backend.answeredOnce()) {
      // Never seen answering (a wrong path, the agent's user not in group haproxy): no reload can help.
      backend.problem("cannot see what HAProxy runs: " + gone);
      return Future.failedFuture(backend.problem());
    }
    if (!recovery.tryNow()) {
      return Future.failedFuture(backend.problem()); // tried a moment ago: the problem stands as reported then
    }
    backend.problem(gone + "; bringing it back with the reload command");
    return backend.reload(set, gone).compose(result -> {
      if (result.failed()) {
        backend.problem(gone + "; the reload command did not bring it back: "
            + String.join("; ", result.errors().subList(1, result.errors().size())));
        return Future.failedFuture(backend.problem());
      }
      LOG.info("service {}: HAProxy serves backend {} again", service.name(), service.lb().upstream());
      return Future.succeededFuture();
    });
  }

  /** HAProxy answers, but without the backend: it runs a config that lacks the agent's file. */
  private static final class LbGone extends Exception {
    LbGone(String message) {
      super(message, null, false, false);
    }
  }
}
