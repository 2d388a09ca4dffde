package dev.lbhealth.agent.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent as the benchmarks run it: a process of its own with the unit's JVM options (the
 * {@code agent.jvm} system property the bench scripts set), and what /proc says of it. Also the
 * pretend nodes at scale: listeners on 127.1.x.y that accept and close.
 */
final class AgentProcess {
  private AgentProcess() {}

  /** The JVM options of systemd/lb-health-agent.service, as the bench script passed them. */
  static List<String> jvmOptions() {
    return List.of(System.getProperty("agent.jvm", "-Xmx128m").split(" "));
  }

  /** Starts {@code java <unit options> <launch...>} with its output in {@code log}, at LOG_LEVEL=WARN. */
  static Process start(Path log, String... launch) throws IOException {
    return startLogging(log, "WARN", launch);
  }

  /** Starts {@code java <unit options> <launch...>} with its output in {@code log}, at the given LOG_LEVEL. */
  static Process startLogging(Path log, String level, String... launch) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions());
    command.addAll(List.of(launch));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(unitEnvironment());
    builder.environment().put("LOG_LEVEL", level);
    return builder.start();
  }

  /** The unit's {@code Environment=} settings (MALLOC_ARENA_MAX=2), so that benchmarks run the agent as systemd does. */
  static java.util.Map<String, String> unitEnvironment() throws IOException {
    java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
    Path unit = Path.of("systemd/lb-health-agent.service");
    if (Files.exists(unit)) {
      for (String line : Files.readAllLines(unit)) {
        if (line.startsWith("Environment=") && line.contains("=")) {
          String setting = line.substring("Environment=".length());
          int eq = setting.indexOf('=');
          env.put(setting.substring(0, eq), setting.substring(eq + 1));
        }
      }
    }
    return env;
  }

  /** {@code run --config FILE} from this JVM's classpath. */
  static Process run(Path config, Path log) throws IOException {
    return start(log, "-cp", System.getProperty("java.class.path"), "dev.lbhealth.agent.cli.Main", "run", "--config", config.toString());
  }

  /** The loopback address of pretend node {@code i} (up to 62,500 of them). */
  static String address(int i) {
    return "127.1." + (i / 250) + "." + (1 + i % 250);
  }

  /** A pretend node: a listener on the address that accepts and closes (a tcp probe's healthy node). */
  static Future<NetServer> listen(Vertx vertx, String address, int port) {
    return vertx.createNetServer(new NetServerOptions().setHost(address).setPort(port).setReuseAddress(true))
        .connectHandler(socket -> {
          ACCEPTED.incrementAndGet();
          socket.close();
        }).listen();
  }

  /** Connections the pretend nodes accepted so far: the checks a prober really made. */
  static final java.util.concurrent.atomic.AtomicLong ACCEPTED = new java.util.concurrent.atomic.AtomicLong();

  /** User + system CPU of a process, in clock ticks (1/100 s). */
  static long cpuTicks(long pid) throws IOException {
    long[] split = cpuSplit(pid);
    return split[0] + split[1];
  }

  /** The process's CPU time so far in clock ticks (1/100 s): user, then system (the kernel's share: sockets). */
  static long[] cpuSplit(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
  }

  static long rssKb(long pid) throws IOException {
    return statusField(pid, "VmRSS:");
  }

  static double rssMb(long pid) throws IOException {
    return statusField(pid, "VmRSS:") / 1024.0;
  }

  static long threads(long pid) throws IOException {
    return statusField(pid, "Threads:");
  }

  private static long statusField(long pid, String name) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(name)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
