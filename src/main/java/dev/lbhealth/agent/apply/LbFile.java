package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.LbConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs the operator's validate command on a candidate before it goes live. The candidate sits in
 * a scratch copy of the LB file's directory ({@code {dir}}), so the LB checks it together with
 * the other files it loads from there; {@code {file}} names the candidate itself. Blocking.
 */
final class LbFile {
  private LbFile() {}

  /** Returns null if the LB accepts the candidate, else why not. */
  static String validate(LbConfig lb, String candidate) {
    Path scratch = null;
    try {
      scratch = Files.createTempDirectory("lb-health-agent-check");
      Path liveDir = lb.file().getParent();
      try (Stream<Path> files = Files.list(liveDir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          String name = p.getFileName().toString();
          if (Files.isRegularFile(p) && !name.startsWith(".") && !p.getFileName().equals(lb.file().getFileName())) {
            Files.copy(p, scratch.resolve(name));
          }
        }
      }
      Path file = scratch.resolve(lb.file().getFileName());
      Files.writeString(file, candidate);
      String error = Commands.run(Commands.expand(lb.validate(), Map.of("file", file, "dir", scratch)), lb.commandTimeout());
      return error == null ? null : "validation failed, live file kept: " + error;
    } catch (IOException e) {
      return "validation could not run: " + e;
    } finally {
      deleteTree(scratch);
    }
  }

  /**
   * Validates the text, puts it in place atomically and runs the reload command. If the reload
   * fails, the previous text (or no file, if there was none) is put back, so the file on disk
   * stays what the LB last loaded. Returns null on success, else what went wrong.
   */
  static String installAndReload(LbConfig lb, String text, String previous) {
    String invalid = validate(lb, text);
    if (invalid != null) {
      return invalid;
    }
    try {
      AtomicFile.write(lb.file(), text);
    } catch (IOException e) {
      return "cannot write " + lb.file() + ": " + e.getMessage();
    }
    String reloadError = Commands.run(lb.reload(), lb.commandTimeout());
    if (reloadError == null) {
      return null;
    }
    try {
      if (previous == null) {
        Files.deleteIfExists(lb.file());
      } else {
        AtomicFile.write(lb.file(), previous);
      }
      return "reload failed, previous file restored: " + reloadError;
    } catch (IOException e) {
      return "reload failed: " + reloadError + "; and restoring the previous file failed: " + e.getMessage();
    }
  }

  private static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover scratch directory in the temp folder is harmless
    }
  }
}
