package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line: {@code run}, {@code check-config}, {@code dry-run}, {@code reload}. */
@Command(
    name = "lb-health-agent",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Keeps an HAProxy upstream list pointed at the nodes that really run a hostPort pod.",
    subcommands = {RunCommand.class, CheckConfigCommand.class, DryRunCommand.class, ReloadCommand.class, ApplyHelperCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:runtime failure", "2:invalid configuration or usage"})
public final class Main implements Runnable {
  /** Exit code for a configuration the agent refuses. */
  public static final int EXIT_CONFIG = 2;
  public static final int EXIT_FAILURE = 1;

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("run")) {
      Sighup.install(); // before anything else: a SIGHUP during start-up must not end the JVM
    }
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setUsageHelpAutoWidth(true);
  }

  @Override
  public void run() {
    commandLine().usage(System.out);
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"lb-health-agent " + Version.get()};
    }
  }
}
