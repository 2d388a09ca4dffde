package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.timing.Throttle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a service's HAProxy file in line with the sets the Runtime API made live, off the hot
 * path: on a worker, one write at a time, at most one per {@code lb.min-reload-interval} (a
 * flapping node costs no fsync storm), always the newest set. Each write's outcome goes to the
 * listener. Runs on the agent's context.
 */
final class FileFollower {
  private static final Logger LOG = LoggerFactory.getLogger(FileFollower.class);

  private final Vertx vertx;
  private final ServiceConfig service;
  private final HaproxyFileWriter file;
  private final ApplyListener listener;
  private Future<FileWrite> writing;
  /** The set the write in flight puts in the file. */
  private ServerSet inFlight;
  private ServerSet next;
  private long timer = -1;
  /** At most one write per lb.min-reload-interval. */
  private final Throttle writes;
  /** The set the file holds (null: not known). */
  private ServerSet written;
  private boolean closed;

  FileFollower(Vertx vertx, ServiceConfig service, HaproxyFileWriter file, ApplyListener listener) {
    this.vertx = vertx;
    this.service = service;
    this.file = file;
    this.listener = listener;
    this.writes = new Throttle(System::nanoTime, service.lb().minReloadInterval(), 1);
  }

  /** HAProxy runs {@code set} now: the file follows, soon. */
  void follow(ServerSet set) {
    // Against what the file will hold once the write in flight is done: a switch back to the set
    // written before it (a fail-open and back within one write) must still be written after it.
    if (set.sameServers(writing != null ? inFlight : written) && next == null) {
      return;
    }
    next = set;
    if (writing != null || timer >= 0 || closed) {
      return; // the write in flight or the one scheduled takes the newest set
    }
    long wait = writes.waitMillis();
    if (wait > 0) {
      timer = vertx.setTimer(wait, id -> {
        timer = -1;
        writeNow();
      });
    } else {
      writeNow();
    }
  }

  /**
   * Drops the write that waits (a reload is about to write the file itself: an older set must not
   * follow it) and returns when the write in flight, if any, has ended.
   */
  Future<?> quiet() {
    vertx.cancelTimer(timer);
    timer = -1;
    next = null;
    return writing == null ? Future.succeededFuture() : writing.otherwiseEmpty();
  }

  /** The file holds {@code set} (a reload wrote it). */
  void written(ServerSet set) {
    written = set;
  }

  /** No more writes; the future ends with the write in flight. */
  Future<?> close() {
    closed = true;
    vertx.cancelTimer(timer);
    return writing == null ? Future.succeededFuture() : writing.otherwiseEmpty();
  }

  private void writeNow() {
    ServerSet set = next;
    next = null;
    if (set == null || closed || set.sameServers(written)) {
      return;
    }
    writes.spend();
    // Set before the handler is attached: a write that is already done (an unchanged file is
    // quick) runs the handler at once, and its "writing = null" must come after this, or the
    // follower would wait for a write in flight forever and never bring the file in line again.
    Future<FileWrite> write = file.persist(set);
    writing = write;
    inFlight = set;
    write.onComplete(ar -> {
      writing = null;
      inFlight = null;
      FileWrite outcome = ar.succeeded() ? ar.result() : new FileWrite(Outcome.FAILED, 0, String.valueOf(ar.cause()));
      if (!outcome.outcome().equals(Outcome.FAILED)) {
        written = set;
      } else {
        LOG.warn("service {}: HAProxy runs the new servers, but {} was not updated: {}", service.name(),
            service.lb().file(), outcome.error());
      }
      listener.persisted(outcome);
      if (next != null) {
        follow(next);
      }
    });
  }
}
