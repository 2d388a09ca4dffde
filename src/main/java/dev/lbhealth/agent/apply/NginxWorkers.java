package dev.lbhealth.agent.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The worker processes of one nginx master, read from the process table ({@code /proc}): the
 * current generation and the old ones still shutting down after a reload (they keep serving their
 * open connections, and each holds its own memory). The master is the one whose main config lies
 * in the LB's config folder: {@code -c FILE} on its command line, else nginx's default
 * {@code /etc/nginx/nginx.conf}. Blocking: call on a worker.
 */
final class NginxWorkers {
  static final Path DEFAULT_CONFIG = Path.of("/etc/nginx/nginx.conf");

  /** What one look at the process table found; {@code masterPid} is -1 when no master runs. */
  record Count(long masterPid, int current, int shuttingDown, Set<Long> currentPids) {
    /** Old workers there will be once the next reload retires the current ones. */
    int afterReload() {
      return current + shuttingDown;
    }

    /** Whether this look, taken after a reload, shows nginx running a new generation of workers. */
    boolean reloadedSince(Count before) {
      return masterPid > 0 && (masterPid != before.masterPid
          || (!currentPids.isEmpty() && currentPids.stream().noneMatch(before.currentPids::contains)));
    }
  }

  private NginxWorkers() {}

  static Count count(Path proc, Path configRoot) {
    Map<Long, Long> parents = new HashMap<>();
    Map<Long, String> titles = new HashMap<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
      for (Path p : pids) {
        String title = read(p.resolve("cmdline"));
        if (title != null && title.startsWith("nginx: ")) {
          long pid = Long.parseLong(p.getFileName().toString());
          titles.put(pid, title);
          parents.put(pid, parent(read(p.resolve("stat"))));
        }
      }
    } catch (IOException e) {
      return new Count(-1, 0, 0, Set.of());
    }
    long master = titles.entrySet().stream()
        .filter(e -> e.getValue().startsWith("nginx: master process") && configRoot.equals(config(e.getValue()).getParent()))
        .mapToLong(Map.Entry::getKey).min().orElse(-1);
    Set<Long> current = new HashSet<>();
    int shuttingDown = 0;
    for (Map.Entry<Long, String> e : titles.entrySet()) {
      if (parents.get(e.getKey()) == master && e.getValue().startsWith("nginx: worker process")) {
        if (e.getValue().contains("is shutting down")) {
          shuttingDown++;
        } else {
          current.add(e.getKey());
        }
      }
    }
    return new Count(master, current.size(), shuttingDown, Set.copyOf(current));
  }

  /** The main config of a master from its title, e.g. {@code nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf}. */
  static Path config(String masterTitle) {
    String[] words = masterTitle.trim().split("\\s+");
    for (int i = 0; i + 1 < words.length; i++) {
      if (words[i].equals("-c")) {
        return Path.of(words[i + 1]).toAbsolutePath().normalize();
      }
    }
    return DEFAULT_CONFIG;
  }

  /** The parent pid from {@code /proc/PID/stat}: the field after the command name in parentheses and the state. */
  private static long parent(String stat) {
    if (stat == null) {
      return -1;
    }
    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return rest.length > 1 ? Long.parseLong(rest[1]) : -1;
  }

  private static String read(Path p) {
    try {
      return new String(Files.readAllBytes(p), StandardCharsets.UTF_8).replace('\0', ' ').trim();
    } catch (IOException | RuntimeException e) {
      return null; // the process ended while we looked
    }
  }
}
