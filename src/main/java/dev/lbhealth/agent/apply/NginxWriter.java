package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.render.NginxRenderer;
import dev.lbhealth.agent.render.Renderer;
import io.vertx.core.Future;
import dev.lbhealth.agent.timing.Throttle;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps a service's nginx upstream file in line with its server set. nginx OSS has no API, so
 * every change is validate ({@code nginx -t} on a scratch copy of the whole config with the new
 * file in it), atomic write and reload, on a worker; an unchanged file costs nothing. Reloads are
 * limited by the reload budget and held while they would leave more than
 * {@code lb.max-draining-workers} old workers shutting down (read from the process table).
 */
final class NginxWriter implements LbWriter {
  private final Vertx vertx;
  private final ServiceConfig service;
  private final LbControl control;
  private final Renderer renderer;
  private static final Path PROC = Path.of("/proc");
  private static final long MAX_RELOAD_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
  private static final long RELOAD_POLL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20);
  /** Reloads: two back to back (a pod move's pair), then one per lb.min-reload-interval. */
  private final Throttle budget;
  /** Old workers of this nginx still shutting down, at the last look (-1: not looked yet, or its master not seen). */
  private volatile int oldWorkers = -1;
  /** Whether an apply has succeeded: from then on nginx is expected to run. */
  private volatile boolean appliedOnce;
  /** Why nginx does not serve (no master process of its config folder), or null. Set on a worker. */
  private volatile String lbProblem;
  private final long liveTimer;
  private boolean looking;
  /** A stopped nginx is brought back (the reload command) at most every 5 s. */
  private final Throttle recovery = new Throttle(System::nanoTime, Duration.ofSeconds(5), 1);

  NginxWriter(Vertx vertx, ServiceConfig service, LbControl control) {
    this(vertx, service, control, new NginxRenderer());
  }

  NginxWriter(Vertx vertx, ServiceConfig service, LbControl control, Renderer renderer) {
    this.vertx = vertx;
    this.service = service;
    this.control = control;
    this.renderer = renderer;
    this.budget = new Throttle(System::nanoTime, service.lb().minReloadInterval(), 2);
    this.liveTimer = vertx.setPeriodic(service.lb().driftCheck().toMillis(), id -> lookForMaster());
  }

  @Override
  public String problem() {
    return lbProblem;
  }

  @Override
  public Future<Void> close() {
    vertx.cancelTimer(liveTimer);
    return Future.succeededFuture();
  }

  /**
   * On the drift-check timer: is nginx running (a master process of this config folder)? If not,
   * that is a problem of the service at once, and the reload command is run to bring it back
   * (Debian's {@code systemctl reload-or-restart nginx} starts a stopped nginx), at most every
   * 5 s; the problem then says whether that helped.
   */
  private void lookForMaster() {
    if (!appliedOnce || looking) {
      return;
    }
    looking = true;
    vertx.executeBlocking(() -> {
      if (NginxWorkers.count(PROC, service.lb().configRoot()).masterPid() > 0) {
        return null;
      }
      String gone = "nginx is not running (no master process of " + service.lb().configRoot() + ")";
      if (!recovery.tryNow()) {
        return lbProblem != null ? lbProblem : gone; // tried a moment ago: as reported then
      }
      if (lbProblem == null) {
        lbProblem = gone + "; bringing it back with the reload command";
      }
      String error = control.reload(service);
      long deadline = System.nanoTime() + Math.min(service.lb().commandTimeout().toNanos(), MAX_RELOAD_WAIT_NANOS);
      while (NginxWorkers.count(PROC, service.lb().configRoot()).masterPid() < 0) {
        if (System.nanoTime() > deadline) {
          return gone + "; the reload command did not bring it back" + (error == null ? "" : ": " + error);
        }
        LockSupport.parkNanos(RELOAD_POLL_NANOS);
      }
      return null;
    }, false).onComplete(ar -> {
      looking = false;
      lbProblem = ar.succeeded() ? ar.result() : "cannot tell whether nginx runs: " + ar.cause();
    });
  }

  @Override
  public String preview(ServerSet set) {
    return renderer.render(service, set);
  }

  @Override
  public long holdMillis() {
    return budget.waitMillis();
  }

  @Override
  public Integer oldWorkers() {
    return oldWorkers < 0 ? null : oldWorkers;
  }

  @Override
  public Future<ApplyResult> apply(ServerSet set) {
    return vertx.executeBlocking(() -> applyNow(set), false);
  }

  private ApplyResult applyNow(ServerSet set) {
    long start = System.nanoTime();
    String text = renderer.render(service, set);
    String onDisk;
    try {
      onDisk = AtomicFile.read(service.lb().file());
    } catch (IOException e) {
      return new ApplyResult(Outcome.FAILED, "none", System.nanoTime() - start,
          List.of("cannot read " + service.lb().file() + ": " + e.getMessage()));
    }
    if (text.equals(onDisk)) {
      appliedOnce = true;
      return new ApplyResult(Outcome.UNCHANGED, "none", System.nanoTime() - start, List.of());
    }
    int cap = service.lb().maxDrainingWorkers();
    NginxWorkers.Count workers = NginxWorkers.count(PROC, service.lb().configRoot());
    oldWorkers = workers.masterPid() > 0 ? workers.shuttingDown() : -1;
    if (workers.masterPid() > 0 && workers.afterReload() > cap) {
      return new ApplyResult(Outcome.HELD, "none", System.nanoTime() - start, List.of("a reload now would leave "
          + workers.afterReload() + " old nginx workers shutting down (" + workers.shuttingDown() + " already are; lb.max-draining-workers "
          + cap + "): waiting for their connections to end"));
    }
    budget.spend();
    String error = control.installAndReload(service, set, text, onDisk);
    if (error == null && workers.masterPid() > 0) {
      error = awaitNewWorkers(workers, onDisk);
    }
    if (error == null) {
      appliedOnce = true;
      lbProblem = workers.masterPid() > 0 ? null : lbProblem;
    }
    return new ApplyResult(error == null ? Outcome.APPLIED : Outcome.FAILED, "reload", System.nanoTime() - start,
        error == null ? List.of() : List.of(error));
  }

  /**
   * A reload command can exit 0 while nginx keeps its old config (it logs why and goes on): the
   * reload counts only once the master runs a new generation of workers. If none comes within the
   * command timeout (at most 5 s), the previous file is put back, so the file on disk stays what
   * nginx runs. Returns null when nginx loaded the file.
   */
  private String awaitNewWorkers(NginxWorkers.Count before, String previous) {
    long deadline = System.nanoTime() + Math.min(service.lb().commandTimeout().toNanos(), MAX_RELOAD_WAIT_NANOS);
    NginxWorkers.Count now;
    do {
      now = NginxWorkers.count(PROC, service.lb().configRoot());
      if (now.reloadedSince(before)) {
        return null;
      }
      LockSupport.parkNanos(RELOAD_POLL_NANOS);
    } while (System.nanoTime() < deadline);
    String notRestored = control.restore(service, previous);
    String restored = notRestored == null ? "the previous file is back" : "and putting the previous file back failed: " + notRestored;
    return now.masterPid() < 0
        ? "nginx is not running after the reload; " + restored
        : "the reload command succeeded but nginx did not load the file (its workers are the ones from before the reload;"
            + " nginx's error log says why); " + restored;
  }
}
