package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.render.Renderer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The LB files of services no longer in the config: in the folder of a configured service's file,
 * a file the LB loads (the same extension) whose first line is the agent's own mark, and which is
 * no configured service's file. Each goes only if the LB's config still validates without it (a
 * frontend may still send to a removed backend); those that go are deleted and the LB reloaded
 * once per folder; if the reload fails, they are put back. Blocking.
 */
public final class Leftovers {
  /** The first line of every file the renderers write. */
  private static final Pattern MARK = Pattern.compile(Pattern.quote(Renderer.MARK) + "[^\\s.]+\\. .*");

  /**
   * @param removed the files deleted, each with the LB reloaded without it
   * @param kept the leftovers found but kept, each with why
   */
  public record Outcome(List<String> removed, List<String> kept) {
    public Outcome {
      removed = List.copyOf(removed);
      kept = List.copyOf(kept);
    }
  }

  private Leftovers() {}

  /** Removes the leftovers next to the files of {@code services}. */
  public static Outcome remove(List<ServiceConfig> services) {
    Set<Path> live = new LinkedHashSet<>();
    Map<Path, ServiceConfig> byFolder = new LinkedHashMap<>();
    for (ServiceConfig s : services) {
      Path file = s.lb().file().toAbsolutePath().normalize();
      live.add(file);
      byFolder.putIfAbsent(file.getParent(), s);
    }
    List<String> removed = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    byFolder.forEach((folder, reference) -> {
      List<Path> found;
      try {
        found = find(folder, extension(reference.lb().file()), live);
      } catch (IOException e) {
        kept.add(folder + ": cannot list it: " + e.getMessage());
        return;
      }
      if (!found.isEmpty()) {
        removeIn(reference, found, removed, kept);
      }
    });
    return new Outcome(removed, kept);
  }

  private static List<Path> find(Path folder, String extension, Set<Path> live) throws IOException {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path p : (Iterable<Path>) files.sorted()::iterator) {
        Path file = p.toAbsolutePath().normalize();
        String name = file.getFileName().toString();
        if (!live.contains(file) && !name.startsWith(".") && extension(file).equals(extension)
            && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && marked(file)) {
          found.add(file);
        }
      }
    }
    return found;
  }

  private static boolean marked(Path file) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String first = in.readLine();
      return first != null && MARK.matcher(first).matches();
    } catch (IOException | java.io.UncheckedIOException e) {
      return false; // unreadable or not text: not the agent's
    }
  }

  private static String extension(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot);
  }

  /**
   * Validates the LB without each of {@code found} in turn (with those found removable before it
   * gone too), deletes the removable ones and reloads once; puts them back if the reload fails.
   */
  private static void removeIn(ServiceConfig reference, List<Path> found, List<String> removed, List<String> kept) {
    String current;
    try {
      current = AtomicFile.read(reference.lb().file());
    } catch (IOException e) {
      found.forEach(f -> kept.add(f + ": cannot read " + reference.lb().file() + " to check the LB without it: " + e.getMessage()));
      return;
    }
    if (current == null) {
      found.forEach(f -> kept.add(f + ": service " + reference.name() + "'s file is not written yet; looked at again at the next config reload"));
      return;
    }
    Set<Path> removable = new LinkedHashSet<>();
    for (Path f : found) {
      Set<Path> without = new LinkedHashSet<>(removable);
      without.add(f);
      String invalid = LbFile.validate(reference.lb(), current, without);
      if (invalid == null) {
        removable.add(f);
      } else {
        kept.add(f + ": the LB's config is not valid without it (" + invalid.replace("validation failed, live file kept: ", "")
            + "); remove what still uses it, then reload the agent");
      }
    }
    if (removable.isEmpty()) {
      return;
    }
    String names = String.join(", ", removable.stream().map(Path::toString).toList());
    Map<Path, String> texts = new LinkedHashMap<>();
    try {
      for (Path p : removable) {
        texts.put(p, AtomicFile.read(p));
        Files.delete(p);
      }
    } catch (IOException e) {
      kept.add(names + ": cannot delete: " + e.getMessage() + putBack(texts));
      return;
    }
    String reloadError = Commands.run(reference.lb().reload(), reference.lb().commandTimeout());
    if (reloadError != null) {
      kept.add(names + ": the reload without them failed, put back: " + reloadError + putBack(texts));
      return;
    }
    removed.addAll(removable.stream().map(Path::toString).toList());
  }

  private static String putBack(Map<Path, String> texts) {
    StringBuilder failed = new StringBuilder();
    texts.forEach((p, text) -> {
      try {
        if (text != null && !Files.exists(p)) {
          AtomicFile.write(p, text);
        }
      } catch (IOException e) {
        failed.append("; cannot put ").append(p).append(" back: ").append(e.getMessage());
      }
    });
    return failed.toString();
  }
}
