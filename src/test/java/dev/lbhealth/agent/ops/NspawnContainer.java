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
    // With --keep-unit and no systemd on the host, nspawn makes its payload and supervisor cgroups
    // under its own: started from the same cgroup, two containers would share one payload, and
    // each one's systemd would stop the other's units with its own (a restart of lb-health-agent
    // in one box killed the agent of the other). So each starts from a cgroup of its own.
    nspawn = new ProcessBuilder("sh", "-c", "for d in $0; do mkdir -p \"$d\" && echo $$ > \"$d/cgroup.procs\" || exit 1; done; exec \"$@\"",
        String.join(" ", cgroups().stream().map(Path::toString).toList()),
        "systemd-nspawn", "-q", "-D", dir.resolve("root").toString(), "-M", name, "--boot",
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

  /**
   * The container's own cgroups: in v1's name=systemd hierarchy and v2's (a hybrid host has both;
   * nspawn places itself by the v2 one), or in v2's alone.
   */
  private List<Path> cgroups() {
    List<Path> out = new ArrayList<>();
    for (String hierarchy : List.of("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified")) {
      if (Files.isDirectory(Path.of(hierarchy))) {
        out.add(Path.of(hierarchy, "lbha-" + name));
      }
    }
    if (out.isEmpty()) {
      out.add(Path.of("/sys/fs/cgroup", "lbha-" + name));
    }
    return out;
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
    // Whatever still runs in the container's cgroups (a box whose poweroff never came) goes first.
    for (Path p : cgroups()) {
      if (Files.isDirectory(p)) {
        Shell.run(WORK, "sh", "-c", "for i in 1 2 3; do find " + p + " -name cgroup.procs -exec cat {} + | xargs -r kill -9; sleep 0.2; done");
        try (Stream<Path> tree = Files.walk(p)) {
          tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).forEach(d -> d.toFile().delete());
        }
      }
    }
    // This container's only: another may be running beside it.
    Shell.run(WORK, "sh", "-c", "rm -rf /run/systemd/nspawn/*/" + name + " /run/systemd/nspawn/" + name + "*");
  }

  @Override
  public String toString() {
    return name;
  }
}
