package dev.lbhealth.agent;

import dev.lbhealth.agent.apply.LbWriters;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigDiff;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.timing.VertxTimers;
import dev.lbhealth.agent.discovery.BackendSource;
import dev.lbhealth.agent.discovery.KubernetesBackendSource;
import dev.lbhealth.agent.discovery.KubernetesClients;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.lbhealth.agent.probe.Probes;
import dev.lbhealth.agent.status.AgentMetrics;
import dev.lbhealth.agent.status.StatusDocument;
import dev.lbhealth.agent.status.StatusServer;
import dev.lbhealth.agent.status.StatusSource;
import dev.lbhealth.agent.systemd.SystemdNotifier;
import dev.lbhealth.agent.systemd.SystemdReporter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent: one {@link ServiceMonitor} per configured service and the status listener, all on
 * this verticle's context, which is the single owner of the agent's state.
 */
public final class Agent extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  /** READY=1 at the latest this long after start, as degraded: the unit's TimeoutStartSec is 60 s. */
  static final java.time.Duration READY_DEADLINE = java.time.Duration.ofSeconds(45);

  private final Map<String, ServiceMonitor> monitors = new LinkedHashMap<>();
  private final Instant startedAt = Instant.now();
  private AgentConfig config;
  private VertxTimers timers;
  /** In-process listeners of apply events that read the service in them (benchmarks); see {@link #followApplyEvents}. */
  private volatile int applyEventListeners;

  /** The Kubernetes client, when a kubernetes section is configured (its services share it). */
  private KubernetesClient kubernetes;
  private StatusServer statusServer;
  /** What the status listener serves, published from this context; read from the listener's. */
  private volatile StatusDocument statusSnapshot = StatusDocument.empty();
  private volatile List<String> problemsSnapshot = List.of("starting");
  private volatile List<String> warningsSnapshot = List.of();
  private JsonObject lastConfigReload;
  /** How many config re-reads have ended (applied or rejected); told with each outcome. */
  private long configReloads;
  private java.util.function.BiConsumer<Long, JsonObject> configReloadListener = (n, outcome) -> {};
  private final SystemdNotifier systemd;
  private final AgentMetrics metrics;
  private final AtomicInteger eventLoopDelayMicros = new AtomicInteger();
  /** Something changed since the last snapshot (read by the status listener's context too). */
  private volatile boolean snapshotDirty = true;
  /**
   * When /status is read, the probes' times and counts in it are at most this old: a reader costs
   * one encoding of each service per second at most, an agent nobody reads none.
   */
  private static final long STATUS_FRESH_MS = 1_000;
  /** An overload (a stall of the event loop) is reported this long after it ended. */
  long overloadMemoryMs = 30_000;
  /**
   * Stalls that end before the agent is ready, or within this long after, are the JVM warming up
   * (classes loading, the first compiles: 120-170 ms once at every start), not an overload.
   */
  static final long WARM_UP_GRACE_MS = 2_000;
  /** Stalls that ended up to this time (the timers' clock) are part of the start; Long.MAX_VALUE until ready. */
  private volatile long warmUpEndMillis = Long.MAX_VALUE;
  /** READY=1, STATUS= and the watchdog. */
  private SystemdReporter reporter;

  public Agent(AgentConfig config) {
    this(config, SystemdNotifier.fromEnvironment(Map.of()), AgentMetrics.prometheus());
  }

  /**
   * @param systemd READY=1 once every service's first apply succeeded (or degraded at the start
   *     deadline), WATCHDOG=1 from the event loop
   * @param metrics where the agent's series go (the registry /metrics scrapes)
   */
  public Agent(AgentConfig config, SystemdNotifier systemd, AgentMetrics metrics) {
    this.config = config;
    this.systemd = systemd;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    timers = new VertxTimers(vertx);
    reporter = new SystemdReporter(vertx, systemd, this::systemdStatus);
    if (config.kubernetes() == null) {
      return startMonitors();
    }
    return vertx.executeBlocking(() -> KubernetesClients.create(vertx, config.kubernetes()), false)
        .compose(client -> {
          kubernetes = client;
          return startMonitors();
        });
  }

  private Future<?> startMonitors() {
    vertx.setTimer(READY_DEADLINE.toMillis(), id -> readyDeadline());
    config.services().forEach(s -> monitors.put(s.name(), monitor(s)));
    // The listener runs on an event loop of its own: a flood of status requests cannot delay probes.
    statusServer = new StatusServer(vertx, config.status(), statusSource(), () -> problemsSnapshot, metrics.registry());
    publishSnapshot();
    // The /status document is encoded only when read (statusSource: again when something changed
    // since, or its probe times are half a second old), never on a timer nor after each apply: a
    // service of 10,000 targets costs the loop several ms and the heap megabytes to encode.
    vertx.setPeriodic(StatusServer.STATUS_EVERY_MS, id -> {
      // The document itself is made when someone reads /status (a service of 5,000 nodes is
      // megabytes of JSON): here only what /healthz and STATUS= say.
      refreshHealth();
      // STATUS= follows what ends with time alone (an overload forgotten, an LB found down) as
      // /healthz does: it is sent only when its text changed.
      if (!readyNow()) {
        reporter.statusSoon();
      }
    });
    metrics.eventLoopDelay(eventLoopDelayMicros);
    timers.watchStalls();
    metrics.loopStalls(timers::stalls, timers::lastStallMillis);
    long[] due = {System.nanoTime() + 1_000_000_000L};
    vertx.setPeriodic(1000, id -> {
      long now = System.nanoTime();
      eventLoopDelayMicros.set((int) Math.max(0, (now - due[0]) / 1000));
      due[0] = now + 1_000_000_000L;
    });
    reporter.startWatchdog(); // from this verticle's event loop
    return vertx.deployVerticle(statusServer.verticle()).onSuccess(id -> monitors.values().forEach(ServiceMonitor::start));
  }

  /** The service's Kubernetes source, or null for static nodes only. */
  private BackendSource discovery(ServiceConfig service) {
    if (service.kubernetes() == null) {
      return null;
    }
    if (kubernetes == null) {
      // A SIGHUP added Kubernetes discovery to an agent started without a kubernetes section.
      throw new IllegalStateException("the kubernetes section takes effect at the next restart");
    }
    KubernetesBackendSource source = new KubernetesBackendSource(vertx, kubernetes, config.kubernetes(), service);
    metrics.kubernetesConnected(service.name(), source::connected, source::viewAgeMillis);
    return source;
  }

  private ServiceMonitor monitor(ServiceConfig service) {
    return new ServiceMonitor(service, discovery(service), Probes.create(vertx, service.probe()),
        listener -> LbWriters.forService(vertx, service, listener), timers, () -> snapshotDirty = true, this::applied, metrics,
        event -> {
          vertx.eventBus().publish(StatusServer.EVENTS, event);
          snapshotDirty = true;
          if ("health".equals(event.getString("type"))) {
            reporter.statusSoon();
          }
        }, () -> applyEventListeners > 0 || (statusServer != null && statusServer.hasEventClients()));
  }

  /**
   * Apply events on the event bus ({@link StatusServer#EVENTS}) carry the whole service from now
   * on, as they do while a client follows /events: for code in the same JVM that reads them.
   */
  public void followApplyEvents() {
    applyEventListeners++;
  }

  /** Publishes what changed: a service is encoded again only if it changed since its last encoding. */
  private void publishSnapshot() {
    publishSnapshot(Long.MAX_VALUE);
  }

  /**
   * Built here (each service encoded again only if it changed or its encoding is
   * {@code maxAgeMillis} old), never touched again: the listener joins and gzips it on a worker.
   */
  private void publishSnapshot(long maxAgeMillis) {
    statusSnapshot = document(maxAgeMillis);
    problemsSnapshot = problems();
    warningsSnapshot = warnings();
    // Cleared only once the new snapshot is out: a reader who sees it clear gets that snapshot.
    snapshotDirty = false;
  }

  /** /status for the listener: the published snapshot, or one with probe times at most STATUS_FRESH_MS old. */
  private StatusSource statusSource() {
    return new StatusSource() {
      @Override
      public StatusDocument latest() {
        return statusSnapshot;
      }

      @Override
      public Future<StatusDocument> refreshed() {
        Promise<StatusDocument> done = ((ContextInternal) vertx.getOrCreateContext()).promise();
        context.runOnContext(v -> {
          publishSnapshot(STATUS_FRESH_MS);
          done.complete(statusSnapshot);
        });
        return done.future();
      }

      @Override
      public boolean changed() {
        return snapshotDirty;
      }

      @Override
      public List<String> warnings() {
        return warningsSnapshot;
      }
    };
  }

  /** What /healthz and STATUS= say now (cheap: no node is encoded). */
  private void refreshHealth() {
    problemsSnapshot = problems();
    warningsSnapshot = warnings(); // an overload, remembered for a while, then forgotten
  }

  /** After any apply: the first time every service has applied, tell systemd we are ready. */
  private void applied() {
    refreshHealth(); // the /status document follows when it is read (snapshotDirty)
    if (!readyNow()) {
      reporter.statusSoon();
    }
  }

  /**
   * READY=1 the first time every service has applied and its LB is seen serving it; true if it
   * was sent now. Asked after every apply and every half second (an LB problem can clear without
   * an apply).
   */
  private boolean readyNow() {
    if (reporter.ready() || monitors.size() != config.services().size() || !monitors.values().stream().allMatch(ServiceMonitor::servedOnce)) {
      return false;
    }
    warmUpEndMillis = timers.nowMillis() + WARM_UP_GRACE_MS;
    LOG.info("ready: every service's first apply succeeded and its LB serves it");
    reporter.sendReady();
    return true;
  }

  /** What {@code systemctl status} shows: every service in one line, problems first. */
  String systemdStatus() {
    List<String> problems = problems();
    List<String> warnings = warnings();
    String services = monitors.values().stream().map(ServiceMonitor::summary).collect(java.util.stream.Collectors.joining("; "));
    return !problems.isEmpty() ? "degraded: " + String.join("; ", problems) + " | " + services
        : !warnings.isEmpty() ? "warning: " + String.join("; ", warnings) + " | " + services
        : services;
  }

  /**
   * At the start deadline, not every service has been applied: systemd is told READY anyway
   * (before its start timeout would kill an agent that probes and retries), as degraded, with why.
   */
  private void readyDeadline() {
    if (!reporter.ready()) {
      warmUpEndMillis = timers.nowMillis() + WARM_UP_GRACE_MS;
      LOG.warn("ready, degraded: not every service applied within {} s: {}", READY_DEADLINE.toSeconds(), problems());
      reporter.sendReady();
    }
  }

  @Override
  public Future<?> stop() {
    List<Future<?>> stops = new ArrayList<>();
    monitors.values().forEach(m -> stops.add(m.stop()));
    // The status listener is a child deployment: Vert.x undeploys it with this verticle.
    KubernetesClient client = kubernetes;
    return Future.join(stops).transform(done -> client == null ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          client.close();
          return null;
        }, false));
  }

  /** The port the status listener is bound to (useful when configured as 0). */
  public int statusPort() {
    return statusServer.port();
  }

  /**
   * Re-reads the config file (SIGHUP). A valid file is applied: unchanged services keep their
   * probe state, changed ones restart, removed ones stop, new ones start. An invalid file is
   * rejected with every error named and the running config stays. Safe to call from any thread.
   */
  public void reloadConfig(Path file) {
    context.runOnContext(v -> vertx.executeBlocking(() -> ConfigLoader.load(file), false).compose(next -> {
      if (kubernetes == null && next.services().stream().anyMatch(sc -> sc.kubernetes() != null)) {
        // The client is made at start; a SIGHUP cannot bring one (the old config stays).
        return Future.failedFuture(new ConfigException(file.toString(), List.of("kubernetes: the agent started without"
            + " a kubernetes section; restart it (systemctl restart lb-health-agent) to use Kubernetes discovery")));
      }
      return Future.succeededFuture(next);
    }).onComplete(ar -> {
      if (ar.failed()) {
        List<String> errors = ar.cause() instanceof ConfigException e ? e.errors() : List.of(String.valueOf(ar.cause()));
        LOG.error("config reload rejected, still running the previous config: {}", ar.cause().getMessage());
        lastConfigReload = new JsonObject().put("at", Instant.now().toString()).put("outcome", "rejected")
            .put("errors", new JsonArray(errors));
        metrics.configReload("rejected");
        publishSnapshot();
        configReloadListener.accept(++configReloads, lastConfigReload);
        return;
      }
      reconfigure(ar.result());
    }));
  }

  private void reconfigure(AgentConfig next) {
    ConfigDiff diff = ConfigDiff.between(config, next);
    Map<String, ServiceMonitor> running = new LinkedHashMap<>(monitors);
    monitors.clear();
    // Only the nodes changed: the pool follows live (new ones probed at once, removed ones
    // drained), every other node keeps its probe state, and HAProxy needs no reload.
    diff.nodesOnly().forEach(s -> running.get(s.name()).reconfigure(s));
    Map<String, Future<?>> replaced = new LinkedHashMap<>();
    diff.changed().forEach(s -> replaced.put(s.name(), running.get(s.name()).stop()));
    List<Future<?>> stopping = new ArrayList<>();
    diff.removed().forEach(name -> stopping.add(running.get(name).stop()));
    List<ServiceConfig> starting = new ArrayList<>();
    for (ServiceConfig s : next.services()) {
      if (diff.changed().contains(s) || diff.added().contains(s)) {
        starting.add(s);
      } else {
        monitors.put(s.name(), running.get(s.name()));
      }
    }
    config = next;
    // A changed service's new monitor probes at once (nothing waits for a hung reload); its
    // applies wait for the old monitor's apply in flight. Its gauges replace the old ones now,
    // its counters and timers go on counting.
    replaced.keySet().forEach(metrics::forgetGauges);
    starting.forEach(s -> {
      ServiceMonitor m = monitor(s);
      m.applyAfter(replaced.getOrDefault(s.name(), Future.succeededFuture()));
      monitors.put(s.name(), m);
      m.start();
    });
    Future.join(stopping).onComplete(done -> diff.removed().forEach(metrics::forget));
    LOG.info("config reloaded: {}", diff.changes().isEmpty() ? "no changes" : String.join(", ", diff.changes()));
    lastConfigReload = new JsonObject().put("at", Instant.now().toString()).put("outcome", "applied")
        .put("changes", new JsonArray(diff.changes()));
    metrics.configReload("applied");
    publishSnapshot();
    configReloadListener.accept(++configReloads, lastConfigReload);
  }

  /**
   * Told (sequence number, outcome as in /status's lastConfigReload) on the agent's context after
   * every config re-read: {@code run} leaves it for {@code reload}, systemd's ExecReload.
   */
  public void onConfigReload(java.util.function.BiConsumer<Long, JsonObject> listener) {
    this.configReloadListener = listener;
  }

  /** Everything /status shows, as of now (for tests and tools; /status serves the published snapshot). */
  JsonObject status() {
    return document(0).json();
  }

  /** The /status document: each service's encoding reused unless it changed or is {@code maxAgeMillis} old. */
  private StatusDocument document(long maxAgeMillis) {
    List<StatusDocument.Service> services = new ArrayList<>();
    for (ServiceConfig s : config.services()) {
      ServiceMonitor m = monitors.get(s.name());
      if (m != null) {
        services.add(new StatusDocument.Service(s.name(), m.encodedStatus(maxAgeMillis)));
      }
    }
    return new StatusDocument(new JsonObject()
        .put("version", Version.get())
        .put("startedAt", startedAt.toString())
        .put("problems", new JsonArray(problems()))
        .put("warnings", new JsonArray(warnings()))
        .put("lastConfigReload", lastConfigReload), List.copyOf(services));
  }

  /** What keeps the agent from being healthy; empty when every service's last apply worked. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    for (ServiceConfig s : config.services()) {
      ServiceMonitor m = monitors.get(s.name());
      problems.add(m == null ? "service " + s.name() + ": restarting after a config change" : m.problem());
    }
    return problems.stream().filter(Objects::nonNull).toList();
  }

  /**
   * What is degraded without making the agent unhealthy: the Kubernetes API out of reach, a
   * service with no healthy node (fail-open), the agent's loop held up.
   */
  public List<String> warnings() {
    List<String> warnings = new ArrayList<>();
    monitors.values().forEach(m -> warnings.addAll(m.warnings()));
    String overloaded = overloaded();
    if (overloaded != null) {
      warnings.add(overloaded);
    }
    return warnings;
  }

  /** Why the agent counts as overloaded (its loop stalled in the last 30 s), or null. */
  private String overloaded() {
    if (timers == null || timers.lastStallEndMillis() == Long.MIN_VALUE || timers.lastStallEndMillis() <= warmUpEndMillis
        || timers.nowMillis() - timers.lastStallEndMillis() > overloadMemoryMs) {
      return null;
    }
    return "agent overloaded: its event loop was held up for " + timers.lastStallMillis() + " ms, "
        + (timers.nowMillis() - timers.lastStallEndMillis()) / 1000 + " s ago (GC pause or blocked loop);"
        + " probe timeouts meanwhile are not counted against nodes";
  }

  /** Whether the start is over: a stall from now on is an overload (for tests). */
  boolean pastWarmUp() {
    return timers != null && timers.nowMillis() > warmUpEndMillis;
  }

  /** The agent's own context (tests hold it up to see the agent stay truthful). */
  io.vertx.core.Context agentContext() {
    return context;
  }

  /** Whether every service has made its first apply attempt (successful or not). */
  public boolean firstApplyDone() {
    return monitors.size() == config.services().size() && monitors.values().stream().allMatch(ServiceMonitor::appliedOnce);
  }
}
