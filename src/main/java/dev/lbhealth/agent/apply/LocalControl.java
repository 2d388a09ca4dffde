package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/** The LB's files, reload and Runtime API, reached by this process itself. */
final class LocalControl implements LbControl {
  static final LocalControl INSTANCE = new LocalControl();

  private LocalControl() {}

  @Override
  public String installAndReload(ServiceConfig service, ServerSet set, String text, String previous) {
    return LbFile.installAndReload(service.lb(), text, previous);
  }

  @Override
  public String install(ServiceConfig service, ServerSet set, String text) {
    return LbFile.install(service.lb(), text);
  }

  @Override
  public String reload(ServiceConfig service) {
    return Commands.run(service.lb().reload(), service.lb().commandTimeout());
  }

  @Override
  public String restore(ServiceConfig service, String previous) {
    try {
      if (previous == null) {
        Files.deleteIfExists(service.lb().file());
      } else {
        AtomicFile.write(service.lb().file(), previous);
      }
      return null;
    } catch (IOException e) {
      return "cannot put the previous " + service.lb().file() + " back: " + e.getMessage();
    }
  }

  @Override
  public Leftovers.Outcome removeLeftovers(List<ServiceConfig> services) {
    return Leftovers.remove(services);
  }

  @Override
  public RuntimeEndpoint runtimeApi(ServiceConfig service) {
    return new RuntimeEndpoint(service.lb().runtimeApi(), null);
  }
}
