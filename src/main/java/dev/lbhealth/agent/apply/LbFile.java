package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.LbConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The agent's LB file: checking a candidate with the operator's validate command before it goes
 * live, and installing it. The candidate is checked in scratch copies, never in the live folder:
 * {@code {dir}} is a copy of the file's folder (HAProxy loads a folder with {@code -f DIR}),
 * {@code {root}} a copy of the LB's whole config folder with its own absolute paths pointed at
 * the copy (nginx includes files by absolute path), {@code {file}} the candidate alone. Blocking.
 */
final class LbFile {
  private static final long MAX_COPIED_FILE = 1 << 20;
  /**
   * nginx's pid and log files, which {@code nginx -t} opens for writing: in the copy they point
   * into the scratch folder, so an unprivileged agent can run the check.
   */
  private static final Pattern LOG_PATHS = Pattern.compile("(?m)^(\\s*)(pid|error_log|access_log)(\\s+)/[^\\s;]+");

  private LbFile() {}

  /** Returns null if the LB accepts the candidate, else why not. */
  static String validate(LbConfig lb, String candidate) {
    return validate(lb, candidate, Set.of());
  }

  /**
   * Returns null if the LB accepts the candidate with the files {@code without} (absolute,
   * normalized) gone, else why not.
   */
  static String validate(LbConfig lb, String candidate, Set<Path> without) {
    Path scratch = null;
    try {
      scratch = Files.createTempDirectory("lb-health-agent-check");
      Map<String, Path> values = new HashMap<>();
      String command = lb.validate();
      String realRoot = lb.configRoot().normalize().toString();
      Path scratchRoot = scratch.resolve("root");
      if (command.contains("{dir}")) {
        Path dir = Files.createDirectory(scratch.resolve("dir"));
        Set<Path> skip = new HashSet<>(without);
        skip.add(lb.file().toAbsolutePath().normalize());
        copyFolder(lb.file().getParent(), dir, skip, false, null, null);
        Files.writeString(dir.resolve(lb.file().getFileName()), candidate);
        values.put("dir", dir);
        values.put("file", dir.resolve(lb.file().getFileName()));
      }
      if (command.contains("{root}")) {
        Path relative = lb.configRoot().normalize().relativize(lb.file().normalize());
        copyFolder(lb.configRoot(), scratchRoot, without, true, realRoot, scratchRoot.toString());
        Files.createDirectories(scratchRoot.resolve(relative).getParent());
        Files.writeString(scratchRoot.resolve(relative), candidate);
        values.put("root", scratchRoot);
        values.put("file", scratchRoot.resolve(relative));
      }
      if (!values.containsKey("file")) {
        values.put("file", Files.writeString(scratch.resolve(lb.file().getFileName()), candidate));
      }
      String error = Commands.run(Commands.expand(command, values), lb.commandTimeout());
      if (error == null) {
        return null;
      }
      // Name the real files in the LB's words, not the scratch copies.
      error = error.replace(values.get("file").toString(), lb.file() + " (candidate)")
          .replace(scratchRoot.toString(), realRoot);
      return "validation failed, live file kept: " + error;
    } catch (IOException e) {
      return "validation could not run: " + e;
    } finally {
      deleteTree(scratch);
    }
  }

  /**
   * Copies the regular files of a folder (following links; recursively if asked), leaving out
   * hidden files, the files in {@code skip} and files over 1 MiB; with {@code from}/{@code to}, every
   * mention of the path {@code from} in the copied text is replaced by {@code to}, and pid and
   * log files are pointed into {@code to}.
   */
  private static void copyFolder(Path source, Path target, Set<Path> skip, boolean recursive, String from, String to)
      throws IOException {
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (name.startsWith(".") || skip.contains(p.toAbsolutePath().normalize())) {
          continue;
        }
        if (Files.isDirectory(p)) {
          if (recursive) {
            copyFolder(p, target.resolve(name), skip, true, from, to);
          }
        } else if (Files.isRegularFile(p) && Files.isReadable(p) && Files.size(p) <= MAX_COPIED_FILE) {
          if (from == null) {
            Files.copy(p, target.resolve(name));
          } else {
            byte[] bytes = Files.readAllBytes(p);
            String text = new String(bytes, StandardCharsets.ISO_8859_1); // byte-preserving
            text = LOG_PATHS.matcher(text.replace(from + "/", to + "/")).replaceAll("$1$2$3" + Matcher.quoteReplacement(to) + "/.$2");
            Files.write(target.resolve(name), text.getBytes(StandardCharsets.ISO_8859_1));
          }
        }
      }
    }
  }

  /** Validates the text and puts it in place atomically, without a reload; null on success, else what went wrong. */
  static String install(LbConfig lb, String text) {
    String invalid = validate(lb, text);
    if (invalid != null) {
      return invalid;
    }
    try {
      AtomicFile.write(lb.file(), text);
      return null;
    } catch (IOException e) {
      return "cannot write " + lb.file() + ": " + e.getMessage();
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
