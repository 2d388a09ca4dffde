package dev.lbhealth.agent.status;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.time.Instant;
import java.util.List;

/**
 * What the status listener serves, kept by the agent's context and read from the listener's:
 * the /status document (each service made again only when it changed), and what /healthz and
 * STATUS= say. The document is made when /status is read, never on a timer nor after each apply,
 * and holds records: the listener encodes them on a worker, never on the agent's loop.
 */
public final class StatusBook implements StatusSource {
  /** When /status is read, the probes' times and counts in it are at most this old. */
  static final long FRESH_MS = 1_000;

  /** What the book is made from, asked on the agent's context. */
  public interface Parts {
    /** What keeps the agent from being healthy; empty when it is. */
    List<String> problems();

    /** What is degraded without making it unhealthy. */
    List<String> warnings();

    /** Each service's status, made again if it changed or is {@code maxAgeMillis} old. */
    List<StatusDocument.Service> services(long maxAgeMillis);
  }

  private final Context context;
  private final String version;
  private final String startedAt;
  private final Parts parts;
  private ConfigReload lastConfigReload;
  private String configSha256;
  private volatile StatusDocument snapshot = StatusDocument.empty();
  private volatile List<String> problems = List.of("starting");
  private volatile List<String> warnings = List.of();
  /** Something changed since the last snapshot (read by the listener's context too). */
  private volatile boolean dirty = true;

  public StatusBook(Context context, String version, Instant startedAt, Parts parts) {
    this.context = context;
    this.version = version;
    this.startedAt = startedAt.toString();
    this.parts = parts;
  }

  /** Something /status shows changed: the next reader gets a fresh snapshot. */
  public void markChanged() {
    dirty = true;
  }

  /** What /healthz and STATUS= say, again (cheap: no node is encoded). */
  public void refreshHealth() {
    problems = parts.problems();
    warnings = parts.warnings();
  }

  /** The config the agent runs now (its file's SHA-256), told at start and after each accepted reload. */
  public void configIs(String sha256) {
    configSha256 = sha256;
    markChanged();
  }

  public void configReloaded(ConfigReload reload) {
    lastConfigReload = reload;
    publish(Long.MAX_VALUE);
  }

  /** The problems as last refreshed, for /healthz (any thread). */
  public List<String> problems() {
    return problems;
  }

  /** Everything /status shows, as of now (tests and tools). */
  public StatusDocument now() {
    return document(0);
  }

  /** Each service made again only if it changed or is {@code maxAgeMillis} old. */
  private void publish(long maxAgeMillis) {
    StatusDocument next = document(maxAgeMillis);
    snapshot = next;
    problems = next.agent().problems();
    warnings = next.agent().warnings();
    // Cleared only once the new snapshot is out: a reader who sees it clear gets that snapshot.
    dirty = false;
  }

  private StatusDocument document(long maxAgeMillis) {
    return new StatusDocument(new AgentSection(version, startedAt, configSha256, parts.problems(), parts.warnings(), lastConfigReload),
        parts.services(maxAgeMillis));
  }

  @Override
  public StatusDocument latest() {
    return snapshot;
  }

  @Override
  public Future<StatusDocument> refreshed() {
    Promise<StatusDocument> done = ((ContextInternal) context.owner().getOrCreateContext()).promise();
    context.runOnContext(v -> {
      publish(FRESH_MS);
      done.complete(snapshot);
    });
    return done.future();
  }

  @Override
  public boolean changed() {
    return dirty;
  }

  @Override
  public List<String> warnings() {
    return warnings;
  }
}
