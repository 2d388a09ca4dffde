package dev.lbhealth.agent.service;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigDiff;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.status.AgentMetrics;
import dev.lbhealth.agent.status.Overload;
import dev.lbhealth.agent.status.StatusBook;
import dev.lbhealth.agent.status.StatusDocument;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The services the agent runs, one {@link ServiceMonitor} each, in config order; a new config
 * (SIGHUP) is applied to them as a {@link ConfigDiff}. Not thread-safe: the agent's context.
 */
public final class Services implements StatusBook.Parts {
  private final Map<String, ServiceMonitor> monitors = new LinkedHashMap<>();
  private final Function<ServiceConfig, ServiceMonitor> monitorOf;
  private final AgentMetrics metrics;
  private final Overload overload;
  private AgentConfig config;

  /** @param monitorOf makes a service's monitor (not started) */
  public Services(AgentConfig config, Function<ServiceConfig, ServiceMonitor> monitorOf, AgentMetrics metrics, Overload overload) {
    this.config = config;
    this.monitorOf = monitorOf;
    this.metrics = metrics;
    this.overload = overload;
  }

  /** Makes every configured service's monitor, and starts them once {@code ready} succeeds. */
  public Future<?> start(Future<?> ready) {
    config.services().forEach(s -> monitors.put(s.name(), monitorOf.apply(s)));
    return ready.onSuccess(v -> monitors.values().forEach(ServiceMonitor::start));
  }

  public Future<?> stop() {
    List<Future<?>> stops = new ArrayList<>();
    monitors.values().forEach(m -> stops.add(m.stop()));
    return Future.join(stops);
  }

  /**
   * Runs {@code next}: a service changed in its static nodes only follows live (its other nodes
   * keep their probe state, HAProxy needs no reload); a changed one restarts, a removed one stops,
   * a new one starts. A changed service's new monitor probes at once (nothing waits for a hung
   * reload); its applies wait for the old monitor's apply in flight. Its gauges are replaced now,
   * its counters and timers go on counting.
   */
  public ConfigDiff reconfigure(AgentConfig next) {
    ConfigDiff diff = ConfigDiff.between(config, next);
    Map<String, ServiceMonitor> running = new LinkedHashMap<>(monitors);
    monitors.clear();
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
    replaced.keySet().forEach(metrics::forgetGauges);
    starting.forEach(s -> {
      ServiceMonitor m = monitorOf.apply(s);
      m.applyAfter(replaced.getOrDefault(s.name(), Future.succeededFuture()));
      monitors.put(s.name(), m);
      m.start();
    });
    Future.join(stopping).onComplete(done -> diff.removed().forEach(metrics::forget));
    return diff;
  }

  /** Whether every configured service has applied and its LB is seen serving it. */
  public boolean servedOnce() {
    return monitors.size() == config.services().size() && monitors.values().stream().allMatch(ServiceMonitor::servedOnce);
  }

  /** Whether every service has made its first apply attempt (successful or not). */
  public boolean firstApplyDone() {
    return monitors.size() == config.services().size() && monitors.values().stream().allMatch(ServiceMonitor::appliedOnce);
  }

  /** What {@code systemctl status} shows: every service in one line, problems first. */
  public String statusLine() {
    List<String> problems = problems();
    List<String> warnings = warnings();
    String services = monitors.values().stream().map(ServiceMonitor::summary).collect(Collectors.joining("; "));
    return !problems.isEmpty() ? "degraded: " + String.join("; ", problems) + " | " + services
        : !warnings.isEmpty() ? "warning: " + String.join("; ", warnings) + " | " + services
        : services;
  }

  @Override
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
  @Override
  public List<String> warnings() {
    List<String> warnings = new ArrayList<>();
    monitors.values().forEach(m -> warnings.addAll(m.warnings()));
    String overloaded = overload.warning();
    if (overloaded != null) {
      warnings.add(overloaded);
    }
    return warnings;
  }

  @Override
  public List<StatusDocument.Service> services(long maxAgeMillis) {
    List<StatusDocument.Service> services = new ArrayList<>();
    for (ServiceConfig s : config.services()) {
      ServiceMonitor m = monitors.get(s.name());
      if (m != null) {
        services.add(new StatusDocument.Service(s.name(), m.status(maxAgeMillis)));
      }
    }
    return List.copyOf(services);
  }
}
