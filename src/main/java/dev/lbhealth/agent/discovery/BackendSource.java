package dev.lbhealth.agent.discovery;

import io.vertx.core.Future;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A source that pushes a service's targets (Kubernetes): it tells the service whenever its targets
 * or what it knows of them change; the service never polls it. Static nodes come from the config
 * and need no source.
 *
 * <p>Threading: {@link #start} and {@link #stop} are called on the agent's context, and the
 * listener is always called there too (a source hops onto it from its own threads). Failure:
 * when the source cannot confirm its view (the API out of reach, silent, forbidden), what it last
 * saw stays true; it says so in {@link #problem} and {@link #viewAgeMillis}, and never empties
 * the view because it lost contact.
 */
public interface BackendSource {
  /**
   * Starts; {@code listener} gets the whole view (targets in LB order, each with its placement)
   * on every change, the first time once the source knows something.
   */
  void start(Consumer<Map<Target, Placement>> listener);

  Future<Void> stop();

  /** Null while the view is current, else why not (for /status and /healthz warnings). */
  String problem();

  /** How long ago the view was last confirmed by its origin, or -1 if never. */
  long viewAgeMillis();

  /** Whether the source has ever had a view from its origin (before that, the LB is left as it is). */
  boolean listed();

  /** What it watches, for /status: e.g. {@code kubernetes default/name=hc-rsyncer-app}. */
  String describe();
}
