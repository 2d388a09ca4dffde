package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.timing.Coalescer;
import dev.lbhealth.agent.timing.Timers;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One service's way from a wanted server set to the LB. At most one apply runs at a time; a set
 * wanted meanwhile goes right after it. A writer that switches the LB live gets each set at once;
 * one that reloads gets a burst coalesced, and held by its reload budget, except a change that
 * discovery asked for (rare and planned). A failed apply is tried again after 5 s, one the LB asked
 * to hold every 0.5 s. Not thread-safe: used on the agent's context.
 */
public final class ApplyQueue {
  static final long RETRY_AFTER_FAILURE_MS = 5_000;
  /** How often an apply the LB asked to hold (nginx: too many old workers) is tried again. */
  static final long RECHECK_HELD_MS = 500;

  /** Told as each apply starts and ends, on the agent's context. */
  public interface Listener {
    /** {@code set} goes to the LB now, before the LB is touched. */
    void starting(ServerSet set);

    /**
     * An apply of {@code set} ended.
     *
     * @param changed the servers whose state in the LB changed by it (none unless it succeeded)
     */
    void ended(ServerSet set, ApplyResult result, List<ServerSet.Server> changed);
  }

  private final LbWriter writer;
  private final Timers timers;
  private final Listener listener;
  private final Coalescer coalescer;
  private ServerSet requested;
  private long requestedAtNanos;
  private ServerSet applied;
  /** The set on its way to the LB (an apply in flight), or null. */
  private ServerSet sending;
  private Future<ApplyResult> applying;
  private boolean applyAgain;
  private ApplyResult last;
  private Instant lastAt;
  private long lastSinceDecisionNanos;
  /** The replaced queue's apply in flight, which this one's applies wait for (or null). */
  private Future<?> gate;
  private boolean waitingForGate;
  private long holdTimer = -1;
  /** The pending change was asked for by discovery: it is not held by the reload budget, which is there for probe flaps. */
  private boolean planned;
  private boolean stopped;

  public ApplyQueue(LbWriter writer, Timers timers, Duration coalesceMin, Duration coalesceMax, Listener listener) {
    this.writer = writer;
    this.timers = timers;
    this.listener = listener;
    this.coalescer = new Coalescer(timers, coalesceMin.toMillis(), coalesceMax.toMillis(), this::apply);
  }

  /**
   * The set the service wants now. Returns whether what /status shows of it changed: other
   * servers, or the same ones for another reason (the LB needs nothing then).
   */
  public boolean want(ServerSet desired) {
    if (requested == null || !desired.sameServers(requested)) {
      requested = desired;
      requestedAtNanos = timers.nowNanos();
      if (writer.switchesLive()) {
        apply();
      } else {
        coalescer.changed();
      }
      return true;
    }
    if (applying == null && holdTimer < 0) {
      planned = false; // nothing to apply for it
    }
    if (desired.reason().equals(requested.reason())) {
      return false;
    }
    // The same servers for another reason (the one node in rotation by fail-open is healthy now).
    requested = desired;
    if (applying == null && desired.sameServers(applied)) {
      applied = desired;
    }
    return true;
  }

  /** The next change was asked for by discovery (a node joining, leaving, draining). */
  public void planned() {
    planned = true;
  }

  /** Whether a set was ever wanted: once one was, no target at all is a set too (every server leaves). */
  public boolean wanted() {
    return requested != null;
  }

  /**
   * Applies wait for {@code previous} (the replaced queue's apply in flight after a config change)
   * so that two writers never work on one LB file at once.
   */
  public void after(Future<?> previous) {
    gate = previous;
  }

  /** The set the LB has (its last successful apply), or null. */
  public ServerSet applied() {
    return applied;
  }

  /** The set on its way to the LB, or null. */
  public ServerSet sending() {
    return sending;
  }

  /** The last apply's result, or null before the first ended. */
  public ApplyResult last() {
    return last;
  }

  public Instant lastAt() {
    return lastAt;
  }

  /** From the decision that asked for the last apply's set to its end. */
  public long lastSinceDecisionNanos() {
    return lastSinceDecisionNanos;
  }

  /** Stops trying; the future ends once the apply in flight, if any, has. */
  public Future<?> stop() {
    stopped = true;
    coalescer.cancel();
    timers.cancelTimer(holdTimer);
    return applying == null ? Future.succeededFuture() : applying.otherwiseEmpty();
  }

  private void apply() {
    if (stopped) {
      return;
    }
    if (gate != null && !gate.isComplete()) {
      if (!waitingForGate) {
        waitingForGate = true;
        gate.onComplete(done -> {
          waitingForGate = false;
          apply();
        });
      }
      return;
    }
    if (applying != null) {
      applyAgain = true;
      return;
    }
    long hold = planned ? 0 : writer.holdMillis();
    if (hold > 0) {
      // Within the reload budget: one apply when it allows, with the newest set by then.
      if (holdTimer < 0) {
        holdTimer = timers.setTimer(hold, () -> {
          holdTimer = -1;
          apply();
        });
      }
      return;
    }
    planned = false;
    ServerSet set = requested;
    long decidedAt = requestedAtNanos;
    sending = set;
    listener.starting(set);
    applying = writer.apply(set);
    applying.onComplete(ar -> {
      applying = null;
      sending = null;
      if (stopped) {
        return;
      }
      ApplyResult result = ar.succeeded() ? ar.result()
          : new ApplyResult(ApplyResult.Outcome.FAILED, "none", 0, List.of("apply crashed: " + ar.cause()));
      last = result;
      lastAt = Instant.ofEpochMilli(timers.epochMillis());
      lastSinceDecisionNanos = timers.nowNanos() - decidedAt;
      List<ServerSet.Server> changed = List.of();
      if (result.outcome() == ApplyResult.Outcome.HELD) {
        timers.setTimer(RECHECK_HELD_MS, () -> {
          if (last == result) {
            apply();
          }
        });
      } else if (result.failed()) {
        timers.setTimer(RETRY_AFTER_FAILURE_MS, () -> {
          if (requested == set && last == result) {
            apply();
          }
        });
      } else {
        List<ServerSet.Server> fromApplied = set.statesChangedFrom(applied);
        changed = fromApplied != null ? fromApplied : set.servers();
        applied = set;
      }
      listener.ended(set, result, changed);
      if (applyAgain) {
        applyAgain = false;
        apply();
      }
    });
  }
}
