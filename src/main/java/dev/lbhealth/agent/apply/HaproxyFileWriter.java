package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.render.HaproxyRenderer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import dev.lbhealth.agent.timing.Throttle;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A service's HAProxy backend file: validate ({@code haproxy -c} with the candidate in a scratch
 * copy), atomic write, reload. With a Runtime API to ask, a reload counts only once HAProxy shows
 * the backend with the servers it was asked for: a reload command can exit 0 while HAProxy's
 * master failed to load the new file. File and process work runs on a worker.
 */
final class HaproxyFileWriter implements LbWriter {
  private static final long VERIFY_EVERY_MS = 50;
  private static final String RELOAD_LOCK = "lb-health-agent reload: ";

  private final Vertx vertx;
  private final ServiceConfig service;
  private final LbControl control;
  private final HaproxyRenderer renderer = new HaproxyRenderer();
  /** Reloads: two back to back (a pod move's pair), then one per lb.min-reload-interval. */
  private final Throttle budget;

  HaproxyFileWriter(Vertx vertx, ServiceConfig service, LbControl control) {
    this.vertx = vertx;
    this.service = service;
    this.control = control;
    this.budget = new Throttle(System::nanoTime, service.lb().minReloadInterval(), 2);
  }

  @Override
  public String preview(ServerSet set) {
    return renderer.render(service, set);
  }

  /**
   * Whether the file on disk (which HAProxy loaded) has the backend settings rendered now: if
   * not (no file, a changed mode), only a reload brings them in. Blocking.
   */
  boolean settingsOnDisk() throws IOException {
    String onDisk = AtomicFile.read(service.lb().file());
    return onDisk != null && onDisk.startsWith(renderer.settings(service));
  }

  @Override
  public Future<ApplyResult> apply(ServerSet set) {
    return apply(set, false, null).map(Reload::result);
  }

  @Override
  public long holdMillis() {
    return budget.waitMillis();
  }

  /**
   * A reload and what the Runtime API showed of it.
   *
   * @param seen whether HAProxy answered on the Runtime API while the reload was checked: when it
   *     did not at all, a failed result means "not seen", not "not loaded"
   */
  record Reload(ApplyResult result, boolean seen) {}

  /**
   * @param force reload even when the file already says so (the running HAProxy does not)
   * @param verifyWith the Runtime API to read the loaded backend back from, or null
   */
  Future<Reload> apply(ServerSet set, boolean force, HaproxyRuntimeApi verifyWith) {
    // One reload of an HAProxy at a time, each seen loaded before the next: the services of one
    // HAProxy reload it with the same command, and a second signal that reaches the master while
    // it re-executes for the first is lost (two services' first applies at start did that).
    // Waited for as long as one apply may take (validate, reload, check); past it, on without.
    long wait = 3 * service.lb().commandTimeout().toMillis() + 1_000;
    return vertx.sharedData().getLocalLockWithTimeout(RELOAD_LOCK + service.lb().reload(), wait).transform(lock ->
        applyAlone(set, force, verifyWith).onComplete(done -> {
          if (lock.succeeded()) {
            lock.result().release();
          }
        }));
  }

  private Future<Reload> applyAlone(ServerSet set, boolean force, HaproxyRuntimeApi verifyWith) {
    long start = System.nanoTime();
    // The process that answers before the reload: the reload counts once another one answers.
    Future<String> before = verifyWith == null ? Future.succeededFuture() : pid(verifyWith).otherwiseEmpty();
    return before.compose(oldPid -> vertx.executeBlocking(() -> {
      String text = renderer.render(service, set); // thousands of servers: not on the event loop
      String onDisk;
      try {
        onDisk = AtomicFile.read(service.lb().file());
      } catch (IOException e) {
        return failed(start, "cannot read " + service.lb().file() + ": " + e.getMessage());
      }
      if (text.equals(onDisk) && !force) {
        return new ApplyResult(Outcome.UNCHANGED, "none", System.nanoTime() - start, List.of());
      }
      budget.spend();
      String error = control.installAndReload(service, set, text, onDisk);
      return error == null ? new ApplyResult(Outcome.APPLIED, "reload", System.nanoTime() - start, List.of())
          : failed(start, error);
    }, false).compose(result -> verifyWith == null || result.outcome() != Outcome.APPLIED ? Future.succeededFuture(new Reload(result, true))
        : loaded(verifyWith, set, oldPid, false, System.nanoTime() + service.lb().commandTimeout().toNanos()).map(check -> {
          if (check.missing() == null) {
            return new Reload(new ApplyResult(Outcome.APPLIED, "reload", System.nanoTime() - start, List.of()), true);
          }
          if (!check.answered()) {
            return new Reload(failed(start, "the reload command succeeded, but nothing on the Runtime API shows what HAProxy"
                + " loaded: " + check.missing()), false);
          }
          return new Reload(failed(start, "the reload command succeeded, but HAProxy did not load " + service.lb().file()
              + " within " + service.lb().commandTimeout().toMillis() + " ms: " + check.missing()
              + " (see HAProxy's log; the file is valid and stays)"), true);
        })));
  }

  /** The process id of the HAProxy process that answers on the socket ({@code show info}). */
  private static Future<String> pid(HaproxyRuntimeApi api) {
    return api.run(List.of("show info")).map(a -> pidOf(a.get(0)));
  }

  /** The Pid line of a {@code show info} answer, or null. */
  static String pidOf(String showInfo) {
    return showInfo.lines().filter(l -> l.startsWith("Pid: ")).map(l -> l.substring(5).strip()).findFirst().orElse(null);
  }

  /** What the polls after a reload found: what was still missing (null: nothing), and whether HAProxy answered at all. */
  private record Check(String missing, boolean answered) {}

  /**
   * Polls HAProxy until a process other than {@code oldPid} (when known) answers and its backend
   * has the set's servers, or the deadline passes.
   */
  private Future<Check> loaded(HaproxyRuntimeApi api, ServerSet set, String oldPid, boolean answeredBefore, long deadline) {
    String backend = service.lb().upstream();
    return api.run(List.of("show info", "show servers state " + backend)).transform(ar -> {
      String missing;
      if (ar.failed()) {
        missing = ar.cause().getMessage();
      } else {
        String pid = pidOf(ar.result().get(0));
        Map<String, LiveServer> live = LiveServer.parseState(ar.result().get(1));
        String servers = live == null ? "no backend " + backend : mismatch(live, set);
        missing = oldPid == null || !oldPid.equals(pid) ? servers
            : "the same HAProxy process (pid " + pid + ") still answers" + (servers == null ? "" : ", with " + servers);
      }
      boolean answered = answeredBefore || ar.succeeded();
      if (missing == null || System.nanoTime() > deadline) {
        return Future.succeededFuture(new Check(missing, answered));
      }
      Promise<Check> later = Promise.promise();
      vertx.setTimer(VERIFY_EVERY_MS, id -> loaded(api, set, oldPid, answered, deadline).onComplete(later));
      return later.future();
    });
  }

  /**
   * What differs between HAProxy's servers and the file's for the set, or null: names,
   * addresses, and in or out of rotation (the file has no drain: a server out is disabled).
   */
  static String mismatch(Map<String, LiveServer> live, ServerSet set) {
    List<String> wrong = new ArrayList<>();
    for (ServerSet.Server s : set.servers()) {
      LiveServer now = live.get(s.name());
      if (now == null) {
        wrong.add("no server " + s.name());
      } else if (!now.at(s.target().address(), s.target().port())) {
        wrong.add("server " + s.name() + " at " + now.address() + ":" + now.port());
      } else if ((now.state() == ServerState.READY) != (s.state() == ServerState.READY)) {
        wrong.add("server " + s.name() + " " + now.state().word());
      }
    }
    if (live.size() != set.size()) {
      wrong.add(live.size() + " servers instead of " + set.size());
    }
    return wrong.isEmpty() ? null : String.join(", ", wrong);
  }

  /** Validates and writes the file for a set that is already live; no reload. */
  Future<FileWrite> persist(ServerSet set) {
    return vertx.executeBlocking(() -> {
      long start = System.nanoTime();
      String text = renderer.render(service, set); // thousands of servers: not on the event loop
      try {
        if (text.equals(AtomicFile.read(service.lb().file()))) {
          return new FileWrite(Outcome.UNCHANGED, System.nanoTime() - start, null);
        }
        String error = control.install(service, set, text);
        return new FileWrite(error == null ? Outcome.APPLIED : Outcome.FAILED, System.nanoTime() - start, error);
      } catch (IOException e) {
        return new FileWrite(Outcome.FAILED, System.nanoTime() - start,
            "cannot read " + service.lb().file() + ": " + e.getMessage());
      }
    }, false);
  }

  private static ApplyResult failed(long start, String error) {
    return new ApplyResult(Outcome.FAILED, "reload", System.nanoTime() - start, List.of(error));
  }
}
