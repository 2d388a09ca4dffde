package dev.lbhealth.agent.status;

import io.vertx.core.Future;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where the status listener gets /status from. The agent publishes a snapshot after every apply
 * and, for other changes, at most every half second; a reader who comes in between gets a fresh
 * one ({@link #changed}), so that /status is never behind what the LB shows. The probes' times
 * and counts move without events, so they are encoded again only when someone asks for /status,
 * never on a timer: an agent nobody asks spends nothing on it.
 */
interface StatusSource {
  /** The latest published snapshot; the probes' times may be older, and see {@link #changed}. */
  StatusDocument latest();

  /**
   * Whether something changed since {@link #latest} was made (a health change, an apply under
   * way): a reader then asks for {@link #refreshed} instead. Any thread.
   */
  default boolean changed() {
    return false;
  }

  /**
   * A snapshot whose probes' times are at most a few seconds old, made on the agent's own
   * context; the future completes on the caller's.
   */
  Future<StatusDocument> refreshed();

  /**
   * What degrades the agent without making it unhealthy (an overload, the Kubernetes API out of
   * reach), at most half a second old.
   */
  List<String> warnings();

  /** A source of fixed snapshots (tests, tools). */
  static StatusSource of(Supplier<StatusDocument> snapshot) {
    return new StatusSource() {
      @Override
      public StatusDocument latest() {
        return snapshot.get();
      }

      @Override
      public Future<StatusDocument> refreshed() {
        return Future.succeededFuture(snapshot.get());
      }

      @Override
      public List<String> warnings() {
        return snapshot.get().agent().warnings();
      }
    };
  }
}
