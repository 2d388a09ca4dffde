package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "check-config", mixinStandardHelpOptions = true,
    description = {"Validate a config file: exit 0 if valid, 2 with every error named if not.",
        "The files it names (kubeconfig, token-file) are checked with this process's rights: run it as the"
            + " service's user (runuser -u lb-health-agent -- ...) to check what the service will be able to read;"
            + " FILE '-' reads the config from standard input, for a file that user cannot read (Ansible's"
            + " temporary copy)."})
final class CheckConfigCommand implements Callable<Integer> {
  private static final String STDIN = "standard input";

  @Parameters(paramLabel = "FILE", description = "the agent's YAML config, or - for standard input")
  Path file;

  /** Where {@code -} reads from (tests give their own). */
  InputStream in = System.in;

  @Override
  public Integer call() {
    AgentConfig config = file.toString().equals("-") ? fromInput() : Configs.loadOrReport(file);
    if (config == null) {
      return Main.EXIT_CONFIG;
    }
    System.out.println((file.toString().equals("-") ? STDIN : file) + ": valid, " + config.services().size() + " service(s)");
    return 0;
  }

  private AgentConfig fromInput() {
    try {
      byte[] bytes = in.readNBytes((int) ConfigLoader.MAX_CONFIG_BYTES + 1);
      if (bytes.length > ConfigLoader.MAX_CONFIG_BYTES) {
        throw new ConfigException(STDIN, List.of("more than " + ConfigLoader.MAX_CONFIG_BYTES + " bytes; a config is at most 1 MiB"));
      }
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
      return ConfigLoader.parse(text, STDIN);
    } catch (CharacterCodingException e) {
      System.err.println("invalid configuration " + STDIN + ": not UTF-8 text");
    } catch (IOException e) {
      System.err.println("invalid configuration " + STDIN + ": cannot read it: " + e.getMessage());
    } catch (ConfigException e) {
      System.err.println("invalid configuration " + e.getMessage());
    }
    return null;
  }
}
