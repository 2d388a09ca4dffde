package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.render.HaproxyRenderer;
import dev.lbhealth.agent.render.NginxRenderer;
import dev.lbhealth.agent.timing.Timers;
import dev.lbhealth.agent.timing.VertxTimers;
import io.vertx.core.Vertx;

/** Makes the writer a service's LB kind needs. */
public final class LbWriters {
  private LbWriters() {}

  /** Call on the agent's context: a Runtime API writer keeps its timers there. */
  public static LbWriter forService(Vertx vertx, ServiceConfig service, ApplyListener listener) {
    return forService(vertx, new VertxTimers(vertx), service, listener, LbControl.local());
  }

  /**
   * With the agent's timers (a Runtime API writer's drains and drain polls go by them), reaching
   * the LB through {@code control}: in this process, or through the apply helper.
   */
  public static LbWriter forService(Vertx vertx, Timers timers, ServiceConfig service, ApplyListener listener,
      LbControl control) {
    return switch (service.lb().kind()) {
      case HAPROXY -> service.lb().runtimeApi() == null ? new HaproxyFileWriter(vertx, service, control)
          : new HaproxyRuntimeWriter(vertx, timers, service, listener, control);
      case NGINX -> new NginxWriter(vertx, service, control);
    };
  }

  /**
   * Writes the set's file as the writer would (validated, atomically) but asks the LB for
   * nothing: the set-up step before the LB is (re)started with the agent's files in its config.
   * Blocking. Returns null on success, else what went wrong.
   */
  public static String writeWithoutReload(ServiceConfig service, ServerSet set) {
    return LbFile.install(service.lb(), preview(service, set));
  }

  /** The text a service's writer would put on disk for the set. */
  public static String preview(ServiceConfig service, ServerSet set) {
    return switch (service.lb().kind()) {
      case HAPROXY -> new HaproxyRenderer().render(service, set);
      case NGINX -> new NginxRenderer().render(service, set);
    };
  }
}
