package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.config.ProbeConfig;
import io.vertx.core.Vertx;
import java.time.Duration;

/** Makes the probe a service's config asks for. */
public final class Probes {
  private Probes() {}

  /** The timeout for a probe of a target whose health is still unknown, or a settled one. */
  public static Duration timeout(ProbeConfig config, boolean healthKnown) {
    return healthKnown || config.timeout().compareTo(Probe.STARTUP_TIMEOUT) >= 0 ? config.timeout() : Probe.STARTUP_TIMEOUT;
  }

  public static Probe create(Vertx vertx, ProbeConfig config) {
    return switch (config.type()) {
      case TCP -> new ConnectProbe(vertx, new TcpProbe(vertx, null));
      case BANNER -> new TcpProbe(vertx, config.expect());
      case HTTP -> new HttpProbe(vertx, config.path(), config.status());
    };
  }
}
