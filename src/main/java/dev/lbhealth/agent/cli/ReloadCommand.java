package dev.lbhealth.agent.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code systemctl reload}'s ExecReload: sends SIGHUP to the running agent and waits for its
 * verdict on the new config, which the agent writes to its reload-outcome file; exits 0 when
 * the config was applied, 2 with every error when it was rejected (the agent keeps running the
 * previous one), 1 when no verdict came in time. systemd 252 has no Type=notify-reload, so this is
 * how {@code systemctl reload} learns that a reload failed.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
    description = "Make the running agent re-read its config (SIGHUP) and wait for the outcome.")
final class ReloadCommand implements Callable<Integer> {
  @Option(names = "--pid", required = true, paramLabel = "PID", description = "the agent's process id ($MAINPID)")
  long pid;

  @Option(names = "--outcome", paramLabel = "FILE",
      description = "where the agent writes each reload's outcome (default: $RUNTIME_DIRECTORY/config-reload.json)")
  Path outcome;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "how long to wait for the verdict (default 30)")
  int timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    Path file = outcome != null ? outcome : ReloadOutcome.defaultFile(System.getenv());
    if (file == null) {
      System.err.println("reload: no --outcome file and no $RUNTIME_DIRECTORY: cannot learn the agent's verdict");
      return Main.EXIT_FAILURE;
    }
    long before = sequence(read(file));
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      System.err.println("reload: could not signal process " + pid);
      return Main.EXIT_FAILURE;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
    while (System.nanoTime() < deadline) {
      JsonObject now = read(file);
      if (now != null && now.getLong("pid", -1L) == pid && sequence(now) > before) {
        if ("applied".equals(now.getString("outcome"))) {
          System.out.println("config reloaded: " + String.join(", ", now.getJsonArray("changes").getList()));
          return 0;
        }
        System.err.println("config rejected, the agent still runs the previous one:");
        now.getJsonArray("errors").forEach(e -> System.err.println("  " + e));
        return Main.EXIT_CONFIG;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    System.err.println("reload: process " + pid + " gave no verdict within " + timeoutSeconds + " s (see its log)");
    return Main.EXIT_FAILURE;
  }

  private static long sequence(JsonObject outcome) {
    return outcome == null ? 0 : outcome.getLong("sequence", 0L);
  }

  private static JsonObject read(Path file) throws IOException {
    try {
      return new JsonObject(Files.readString(file));
    } catch (NoSuchFileException e) {
      return null;
    } catch (io.vertx.core.json.DecodeException e) {
      return null; // not written by an agent (the agent replaces it whole, never in part)
    }
  }
}
