package dev.lbhealth.agent.ops;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * A Debian 12 box with systemd 252 as PID 1: the cached root file system (scripts/nspawn-rootfs.sh)
 * under an overlay, so that every container starts fresh and leaves the cache untouched, booted
 * with systemd-nspawn in a network namespace of its own (loopback only), torn down by
 * {@link #close()}. {@code share} is mounted read-only at {@code /mnt/host}.
 */
final class NspawnContainer implements AutoCloseable {
  private static final Path WORK = Path.of("/var/tmp/lb-health-agent-nspawn");

  private final String name;
  private final Path dir;
  private final Process nspawn;
  private final long pid1;
  final Duration bootTime;

  /** Why no container can run here, or null when one can. */
  static String unavailable() throws IOException, InterruptedException {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "systemd-nspawn needs root; the tests run as " + System.getProperty("user.name");
    }
    if (Shell.run(Path.of("/"), "sh", "-c", "command -v systemd-nspawn nsenter debootstrap").exit() != 0) {
      return "systemd-nspawn, nsenter or debootstrap is missing (scripts/install-deps.sh installs them)";
    }
    return null;
  }

  static NspawnContainer boot(Path rootfs, String name, Path share) throws Exception {
    return new NspawnContainer(rootfs, name, share);
  }

  private NspawnContainer(Path rootfs, String name, Path share) throws Exception {
    this.name = name;
    this.dir = WORK.resolve(name);
    cleanUp();
    for (String d : List.of("upper", "work", "root")) {
      Files.createDirectories(dir.resolve(d));
    }
    Shell mount = Shell.run(dir, "mount", "-t", "overlay", "overlay", "-o",
        "lowerdir=" + rootfs + ",upperdir=" + dir.resolve("upper") + ",workdir=" + dir.resolve("work"), dir.resolve("root").toString());
    if (mount.exit() != 0) {
      throw new IOException("cannot mount the overlay: " + mount.out());
    }
    long start = System.nanoTime();
    nspawn = new ProcessBuilder("systemd-nspawn", "-q", "-D", dir.resolve("root").toString(), "-M", name, "--boot",
        "--register=no", "--keep-unit", "--private-network", "--bind-ro=" + share + ":/mnt/host")
        .redirectErrorStream(true).redirectOutput(dir.resolve("console.log").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    long[] found = {-1};
    waitFor(Duration.ofSeconds(30), "the container's systemd to start", () -> (found[0] = systemdPid()) > 0);
    pid1 = found[0];
    waitFor(Duration.ofSeconds(60), "the container to boot", () -> {
      String state = exec("systemctl", "is-system-running").out().strip();
      return state.equals("running") || state.equals("degraded");
    });
    bootTime = Duration.ofNanos(System.nanoTime() - start);
  }

  /** PID 1 of the container: the systemd below the nspawn process. */
  private long systemdPid() {
    return nspawn.descendants().filter(p -> p.info().command().map(c -> c.endsWith("/systemd")).orElse(false))
        .mapToLong(ProcessHandle::pid).min().orElse(-1);
  }

  /** Runs a command in the container (all its namespaces), as root. */
  Shell exec(String... command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(List.of("nsenter", "-t", String.valueOf(pid1), "-a", "--"));
    full.addAll(List.of(command));
    return Shell.run(dir, full);
  }

  /** Runs a bash script in the container; fails the caller's assertion text with its output. */
  Shell bash(String script) throws IOException, InterruptedException {
    return exec("bash", "-c", script);
  }

  static void waitFor(Duration deadline, String what, Callable<Boolean> condition) {
    await(what).atMost(deadline).pollInterval(Duration.ofMillis(100)).until(condition);
  }

  String console() throws IOException {
    return Files.readString(dir.resolve("console.log"));
  }

  @Override
  public void close() throws Exception {
    try {
      exec("systemctl", "poweroff", "--no-block");
      if (!nspawn.waitFor(20, TimeUnit.SECONDS)) {
        nspawn.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      cleanUp();
    }
  }

  /** Unmounts and removes the container's folders, and what nspawn leaves behind in the host. */
  private void cleanUp() throws IOException, InterruptedException {
    Files.createDirectories(WORK);
    if (Files.isDirectory(dir.resolve("root"))) {
      Shell.run(WORK, "umount", "-l", dir.resolve("root").toString());
    }
    Shell.run(WORK, "rm", "-rf", dir.toString());
    for (String leftover : List.of("/sys/fs/cgroup/payload", "/sys/fs/cgroup/supervisor")) {
      Path p = Path.of(leftover);
      if (Files.isDirectory(p)) {
        try (Stream<Path> tree = Files.walk(p)) {
          tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).forEach(d -> d.toFile().delete());
        }
      }
    }
    Shell.run(WORK, "sh", "-c", "rm -rf /run/systemd/nspawn/*");
  }

  @Override
  public String toString() {
    return name;
  }
}
