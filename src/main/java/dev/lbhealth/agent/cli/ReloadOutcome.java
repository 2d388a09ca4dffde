package dev.lbhealth.agent.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The file in which {@code run} leaves the outcome of each config re-read for {@code reload}:
 * the agent's pid, a sequence number, applied or rejected, and the changes or errors. Replaced
 * whole (temp file and rename), so a reader never sees half of one.
 */
final class ReloadOutcome {
  private ReloadOutcome() {}

  /** {@code $RUNTIME_DIRECTORY/config-reload.json} (systemd's RuntimeDirectory=), or null outside systemd. */
  static Path defaultFile(Map<String, String> env) {
    String dir = env.get("RUNTIME_DIRECTORY");
    return dir == null || dir.isBlank() ? null : Path.of(dir.split(":")[0], "config-reload.json");
  }

  /** Blocking: call on a worker. */
  static void write(Path file, JsonObject outcome) throws IOException {
    Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(temp, outcome.encode());
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
