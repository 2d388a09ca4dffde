package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.config.ProbeConfig;
import io.vertx.core.Vertx;

/** Makes the probe a service's config asks for. */
public final class Probes {
  private Probes() {}

  public static Probe create(Vertx vertx, ProbeConfig config) {
    return switch (config.type()) {
      case TCP -> new TcpProbe(vertx, config.timeout(), null);
      case BANNER -> new TcpProbe(vertx, config.timeout(), config.expect());
      case HTTP -> new HttpProbe(vertx, config.timeout(), config.path(), config.status());
    };
  }
}
