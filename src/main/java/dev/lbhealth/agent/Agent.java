package dev.lbhealth.agent;

import dev.lbhealth.agent.apply.LbControl;
import dev.lbhealth.agent.apply.LbWriters;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigDiff;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.discovery.KubernetesBackendSource;
import dev.lbhealth.agent.discovery.KubernetesClients;
import dev.lbhealth.agent.discovery.NodeWatch;
import dev.lbhealth.agent.events.EventListener;
import dev.lbhealth.agent.events.EventStream;
import dev.lbhealth.agent.events.LogEvents;
import dev.lbhealth.agent.events.MetricsEvents;
import dev.lbhealth.agent.events.StatusEvents;
import dev.lbhealth.agent.probe.Probes;
import dev.lbhealth.agent.service.ServiceMonitor;
import dev.lbhealth.agent.service.Services;
import dev.lbhealth.agent.status.AgentMetrics;
import dev.lbhealth.agent.status.ConfigReload;
import dev.lbhealth.agent.status.Overload;
import dev.lbhealth.agent.status.StatusBook;
import dev.lbhealth.agent.status.StatusServer;
import dev.lbhealth.agent.systemd.SystemdNotifier;
import dev.lbhealth.agent.systemd.SystemdReporter;
import dev.lbhealth.agent.timing.VertxTimers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent, wired: its {@link Services} on this verticle's context (the single owner of the
 * agent's state), what happens told to the log, the metrics, /events, the status book and systemd,
 * and the status listener on an event loop of its own.
 */
public final class Agent extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  /** READY=1 at the latest this long after start, as degraded: the unit's TimeoutStartSec is 60 s. */
  static final Duration READY_DEADLINE = Duration.ofSeconds(45);
  static final long WARM_UP_GRACE_MS = Overload.WARM_UP_GRACE_MS;

  private AgentConfig config;
  private final SystemdNotifier systemd;
  private final AgentMetrics metrics;
  private final LbControl control;
  private VertxTimers timers;
  private KubernetesClient kubernetes;
  /** The one Node informer the services' Kubernetes sources share. */
  private NodeWatch nodes;
  private Services services;
  private StatusBook book;
  private StatusServer statusServer;
  private SystemdReporter reporter;
  Overload overload;
  private EventListener events;
  /** In-process followers of the events on the bus (tests, benchmarks). */
  private volatile int eventFollowers;
  private long configReloads;
  private BiConsumer<Long, ConfigReload> configReloadListener = (n, outcome) -> {};

  public Agent(AgentConfig config) {
    this(config, SystemdNotifier.fromEnvironment(Map.of()), AgentMetrics.prometheus(), LbControl.local());
  }

  /**
   * @param systemd READY=1 once every service's first apply succeeded (or degraded at the start
   *     deadline), WATCHDOG=1 from the event loop
   * @param metrics where the agent's series go (the registry /metrics scrapes)
   * @param control how the LB's files, reload and Runtime API are reached: in this process, or
   *     through the apply helper
   */
  public Agent(AgentConfig config, SystemdNotifier systemd, AgentMetrics metrics, LbControl control) {
    this.config = config;
    this.systemd = systemd;
    this.metrics = metrics;
    this.control = control;
  }

  @Override
  public Future<?> start() {
    timers = new VertxTimers(vertx);
    overload = new Overload(timers);
    reporter = new SystemdReporter(vertx, systemd, () -> services.statusLine(), overload::ready);
    services = new Services(config, this::monitor, metrics, overload);
    book = new StatusBook(context, Version.get(), Instant.ofEpochMilli(timers.epochMillis()), services);
    book.configIs(config.sha256());
    events = EventListener.of(new LogEvents(), new MetricsEvents(metrics), new StatusEvents(book, reporter::statusSoon, this::healthMayHaveChanged),
        new EventStream(vertx.eventBus(), () -> eventFollowers > 0 || (statusServer != null && statusServer.hasEventClients())));
    Future<?> client = config.kubernetes() == null ? Future.succeededFuture()
        : vertx.executeBlocking(() -> KubernetesClients.create(vertx, config.kubernetes()), false).onSuccess(made -> {
          kubernetes = made;
          nodes = new NodeWatch(vertx, made, timers);
        });
    return client.compose(c -> {
      reporter.readyBy(READY_DEADLINE, services::problems);
      // The listener runs on an event loop of its own: a flood of status requests cannot delay probes.
      statusServer = new StatusServer(vertx, config.status(), book, book::problems, metrics.registry());
      Future<?> started = services.start(vertx.deployVerticle(statusServer.verticle()));
      book.refreshHealth();
      // What /healthz and STATUS= say follows what ends with time alone (an overload forgotten, an
      // LB found down); the /status document itself is made when it is read.
      vertx.setPeriodic(StatusServer.STATUS_EVERY_MS, id -> healthMayHaveChanged());
      timers.watchStalls();
      metrics.loopStalls(timers::stalls, timers::lastStallMillis);
      metrics.eventLoopDelay(vertx);
      reporter.startWatchdog(); // from this verticle's event loop
      // The files of services removed while the agent was stopped go once the LB has this config's.
      started.onComplete(done -> removeLeftovers());
      return started;
    });
  }

  /** A service's monitor, its gauges registered. */
  private ServiceMonitor monitor(ServiceConfig service) {
    KubernetesBackendSource source = null;
    if (service.kubernetes() != null) {
      if (kubernetes == null) {
        // A SIGHUP added Kubernetes discovery to an agent started without a kubernetes section.
        throw new IllegalStateException("the kubernetes section takes effect at the next restart");
      }
      source = new KubernetesBackendSource(vertx, kubernetes, config.kubernetes(), service, nodes, timers);
      metrics.kubernetesConnected(service.name(), source::connected, source::viewAgeMillis);
    }
    ServiceMonitor monitor = new ServiceMonitor(service, source, Probes.create(vertx, service.probe()),
        listener -> LbWriters.forService(vertx, timers, service, listener, control), timers, events);
    metrics.servers(service.name(), monitor::count);
    metrics.failOpen(service.name(), monitor::failsOpen);
    return monitor;
  }

  /** After an apply, and twice a second: what /healthz says again, READY=1 once served, else STATUS= if it changed. */
  private void healthMayHaveChanged() {
    book.refreshHealth();
    reporter.check(services.servedOnce());
  }

  @Override
  public Future<?> stop() {
    // The status listener is a child deployment: Vert.x undeploys it with this verticle.
    KubernetesClient client = kubernetes;
    return services.stop().transform(done -> client == null ? Future.succeededFuture() : nodes.stop().transform(stopped ->
        vertx.executeBlocking(() -> {
          client.close();
          return null;
        }, false)));
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
      ConfigReload outcome;
      if (ar.failed()) {
        LOG.error("config reload rejected, still running the previous config: {}", ar.cause().getMessage());
        outcome = ConfigReload.rejected(Instant.ofEpochMilli(timers.epochMillis()).toString(),
            ar.cause() instanceof ConfigException e ? e.errors() : List.of(String.valueOf(ar.cause())));
      } else {
        ConfigDiff diff = services.reconfigure(ar.result());
        config = ar.result();
        book.configIs(config.sha256());
        LOG.info("config reloaded: {}", diff.changes().isEmpty() ? "no changes" : String.join(", ", diff.changes()));
        removeLeftovers();
        outcome = ConfigReload.applied(Instant.ofEpochMilli(timers.epochMillis()).toString(), diff.changes());
      }
      events.configReloaded(outcome);
      configReloadListener.accept(++configReloads, outcome);
    }));
  }

  /**
   * Removes, on a worker, the LB files of services no longer in the config (the LB reloaded
   * without them), where the LB's config is valid without them; says what it did.
   */
  private void removeLeftovers() {
    List<ServiceConfig> now = config.services();
    vertx.executeBlocking(() -> control.removeLeftovers(now), false).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("leftover LB files not checked: {}", String.valueOf(ar.cause()));
        return;
      }
      ar.result().removed().forEach(f -> LOG.info("removed {}: its service is no longer in the config; the LB reloaded without it", f));
      ar.result().kept().forEach(k -> LOG.warn("kept the leftover {}", k));
    });
  }

  /**
   * Told (sequence number, outcome as in /status's lastConfigReload) on the agent's context after
   * every config re-read: {@code run} leaves it for {@code reload}, systemd's ExecReload.
   */
  public void onConfigReload(BiConsumer<Long, ConfigReload> listener) {
    this.configReloadListener = listener;
  }

  /**
   * Events go on the event bus ({@link StatusServer#EVENTS}) from now on, as they do while a
   * client follows /events: for code in the same JVM that reads them.
   */
  public void followEvents() {
    eventFollowers++;
  }

  /** The port the status listener is bound to (useful when configured as 0). */
  public int statusPort() {
    return statusServer.port();
  }

  /** What keeps the agent from being healthy; empty when every service's last apply worked. */
  public List<String> problems() {
    return services.problems();
  }

  /** What is degraded without making the agent unhealthy. */
  public List<String> warnings() {
    return services.warnings();
  }

  /** Whether every service has made its first apply attempt (successful or not). */
  public boolean firstApplyDone() {
    return services.firstApplyDone();
  }

  /** Everything /status shows, as of now (for tests and tools; /status serves the published snapshot). */
  JsonObject status() {
    return book.now().json();
  }

  /** Whether the start is over: a stall from now on is an overload (for tests). */
  boolean pastWarmUp() {
    return overload != null && overload.pastWarmUp();
  }

  /** The agent's own context (tests hold it up to see the agent stay truthful). */
  io.vertx.core.Context agentContext() {
    return context;
  }
}
