package dev.lbhealth.agent.systemd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The JVM options of the shipped unit's ExecStart (between the java binary and -jar): tests run the agent as systemd does. */
public final class UnitOptions {
  private UnitOptions() {}

  public static List<String> jvm() {
    try {
      String exec = Files.readAllLines(Path.of("systemd/lb-health-agent.service")).stream()
          .filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
      List<String> words = Arrays.asList(exec.substring("ExecStart=".length()).trim().split("\\s+"));
      return List.copyOf(words.subList(1, words.indexOf("-jar")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
