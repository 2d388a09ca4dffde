package dev.lbhealth.agent;

import dev.lbhealth.agent.apply.LbWriters;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.VertxTimers;
import dev.lbhealth.agent.discovery.BackendSource;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.probe.Probes;
import dev.lbhealth.agent.status.StatusServer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The agent: one {@link ServiceMonitor} per configured service and the status listener, all on
 * this verticle's context, which is the single owner of the agent's state.
 */
public final class Agent extends VerticleBase {
  private final AgentConfig config;
  private final BackendSource source = new StaticBackendSource();
  private final List<ServiceMonitor> monitors = new ArrayList<>();
  private final Instant startedAt = Instant.now();
  private StatusServer statusServer;

  public Agent(AgentConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    VertxTimers timers = new VertxTimers(vertx);
    for (ServiceConfig service : config.services()) {
      monitors.add(new ServiceMonitor(vertx, service, source.targets(service),
          Probes.create(vertx, service.probe()), LbWriters.forService(service), timers));
    }
    statusServer = new StatusServer(vertx, config.status(), this::status, this::problems);
    return statusServer.start().onSuccess(port -> monitors.forEach(ServiceMonitor::start));
  }

  @Override
  public Future<?> stop() {
    List<Future<?>> stops = new ArrayList<>();
    monitors.forEach(m -> stops.add(m.stop()));
    if (statusServer != null) {
      stops.add(statusServer.stop());
    }
    return Future.join(stops);
  }

  /** The port the status listener is bound to (useful when configured as 0). */
  public int statusPort() {
    return statusServer.port();
  }

  JsonObject status() {
    JsonArray services = new JsonArray();
    monitors.forEach(m -> services.add(m.status()));
    return new JsonObject()
        .put("agent", new JsonObject()
            .put("version", Version.get())
            .put("startedAt", startedAt.toString())
            .put("problems", new JsonArray(problems())))
        .put("services", services);
  }

  List<String> problems() {
    return monitors.stream().map(ServiceMonitor::problem).filter(Objects::nonNull).toList();
  }
}
