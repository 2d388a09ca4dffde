package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.config.AgentConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "check-config", mixinStandardHelpOptions = true,
    description = "Validate a config file: exit 0 if valid, 2 with every error named if not.")
final class CheckConfigCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "the agent's YAML config")
  Path file;

  @Override
  public Integer call() {
    AgentConfig config = Configs.loadOrReport(file);
    if (config == null) {
      return Main.EXIT_CONFIG;
    }
    System.out.println(file + ": valid, " + config.services().size() + " service(s)");
    return 0;
  }
}
