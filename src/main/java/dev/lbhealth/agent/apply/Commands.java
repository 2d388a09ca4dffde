package dev.lbhealth.agent.apply;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the operator's validate and reload commands with {@code /bin/sh -c}, with a timeout. Blocking. */
final class Commands {
  private static final int MAX_OUTPUT = 2000;

  private Commands() {}

  /** Substitutes {@code {name}} placeholders with shell-quoted values. */
  static String expand(String command, Map<String, Path> values) {
    String out = command;
    for (Map.Entry<String, Path> e : values.entrySet()) {
      out = out.replace("{" + e.getKey() + "}", quote(e.getValue().toString()));
    }
    return out;
  }

  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Runs the command; returns null on exit 0, else what went wrong with the command's output. */
  static String run(String command, Duration timeout) {
    Path output = null;
    try {
      output = Files.createTempFile("lb-health-agent-cmd", ".out");
      ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command)
          .redirectErrorStream(true)
          .redirectOutput(output.toFile())
          .redirectInput(new File("/dev/null"));
      // systemd's notify socket is the agent's to speak on, not its children's.
      builder.environment().keySet().removeAll(java.util.List.of("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"));
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        return "'" + command + "' timed out after " + timeout.toMillis() + "ms";
      }
      if (process.exitValue() == 0) {
        return null;
      }
      String text = Files.readString(output, StandardCharsets.UTF_8).strip();
      if (text.length() > MAX_OUTPUT) {
        text = text.substring(0, MAX_OUTPUT) + "...";
      }
      return "'" + command + "' exited " + process.exitValue() + (text.isEmpty() ? "" : ": " + text);
    } catch (IOException e) {
      return "'" + command + "' could not run: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "'" + command + "' was interrupted";
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException ignored) {
          // a stray temp file is harmless
        }
      }
    }
  }
}
