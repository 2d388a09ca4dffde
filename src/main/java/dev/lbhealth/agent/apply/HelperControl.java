package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The LB's files, reload and Runtime API, reached through the apply helper: the agent sends the
 * server set (data), the helper renders, validates, writes and reloads with its own rights and
 * its own reading of the config.
 */
final class HelperControl implements LbControl {
  /** Besides the helper's validate and reload commands (each within the command timeout). */
  private static final long SLACK_NANOS = 5_000_000_000L;
  private static final int MAX_ANSWER = 1 << 20;

  private final Path socket;

  HelperControl(Path socket) {
    this.socket = socket;
  }

  @Override
  public String installAndReload(ServiceConfig service, ServerSet set, String text, String previous) {
    return ask(service, HelperProtocol.apply(service.name(), true, text, set), 2);
  }

  @Override
  public String install(ServiceConfig service, ServerSet set, String text) {
    return ask(service, HelperProtocol.apply(service.name(), false, text, set), 1);
  }

  @Override
  public String reload(ServiceConfig service) {
    return ask(service, "reload " + service.name() + "\n", 1);
  }

  @Override
  public String restore(ServiceConfig service, String previous) {
    return ask(service, HelperProtocol.restore(service.name(), previous), 0);
  }

  @Override
  public Leftovers.Outcome removeLeftovers(List<ServiceConfig> services) {
    // A validate and a reload per folder of the helper's services.
    long deadline = System.nanoTime() + SLACK_NANOS + 2L * services.size()
        * services.stream().mapToLong(s -> s.lb().commandTimeout().toNanos()).max().orElse(0);
    HelperProtocol.Answer answer = exchange(HelperProtocol.LEFTOVERS + "\n", deadline);
    if (answer.verdict().equals("ok")) {
      return HelperProtocol.leftovers(answer.text());
    }
    return new Leftovers.Outcome(List.of(), List.of(answer.verdict().equals("refused") ? "the apply helper refused: " + answer.text() : answer.text()));
  }

  @Override
  public RuntimeEndpoint runtimeApi(ServiceConfig service) {
    return new RuntimeEndpoint(socket.toString(), "runtime " + service.name());
  }

  /** @param commands how many of the service's commands the helper may run for it (each within the timeout) */
  private String ask(ServiceConfig service, String request, int commands) {
    long deadline = System.nanoTime() + SLACK_NANOS + commands * service.lb().commandTimeout().toNanos();
    HelperProtocol.Answer answer = exchange(request, deadline);
    return switch (answer.verdict()) {
      case "ok" -> null;
      case "refused" -> "the apply helper refused: " + answer.text();
      default -> answer.text();
    };
  }

  private HelperProtocol.Answer exchange(String request, long deadline) {
    try (SocketIo io = SocketIo.connect(socket.toString(), deadline)) {
      io.write(request, deadline);
      io.endOutput();
      return HelperProtocol.Answer.parse(io.readAll(MAX_ANSWER, deadline));
    } catch (IOException e) {
      return new HelperProtocol.Answer("failed", "apply helper " + socket + ": " + e.getMessage());
    }
  }
}
