package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.ServiceConfig;

/** Makes the writer a service's LB kind needs. */
public final class LbWriters {
  private LbWriters() {}

  public static LbWriter forService(ServiceConfig service) {
    return switch (service.lb().kind()) {
      case HAPROXY -> new HaproxyFileWriter(service);
      case NGINX -> new NginxWriter(service);
    };
  }
}
