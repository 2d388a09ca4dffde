package dev.lbhealth.agent.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A long run at 1,000 targets with one node flapping every 2 s, the agent in its own process with
 * the unit's JVM options: heap after a full GC, RSS, threads and open file descriptors at the
 * start and every few minutes, so a leak shows as a slope. Prints figures; asserts nothing. Run
 * with bench/soak.sh.
 */
public final class SoakBenchmark {
  private SoakBenchmark() {}

  public static void main(String[] args) throws Exception {
    int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int targets = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    Path dir = Files.createTempDirectory("lb-health-agent-soak");
    Vertx pods = Vertx.vertx();
    Process agent = null;
    try {
      int port = SeedScenario.freePort();
      List<Future<?>> listening = new ArrayList<>();
      StringBuilder yaml = new StringBuilder("status: { port: 0 }\nservices:\n  - name: soak\n    port: " + port
          + "\n    probe: { type: tcp, interval: 1s, timeout: 500ms }\n    nodes:\n");
      for (int i = 0; i < targets; i++) {
        String address = AgentProcess.address(i);
        if (i > 0) { // node 0 flaps, below
          listening.add(AgentProcess.listen(pods, address, port));
        }
        yaml.append("      - { name: n").append(i).append(", address: ").append(address).append(" }\n");
      }
      yaml.append("    lb: { file: ").append(dir.resolve("soak.cfg")).append(", validate: \"true\", reload: \"true\" }\n");
      Future.all(listening).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      Path config = Files.writeString(dir.resolve("agent.yaml"), yaml);
      agent = AgentProcess.run(config, dir.resolve("agent.log"));
      long pid = agent.pid();

      // One node flaps: its listener opens and closes every 2 s, for the whole run.
      NetServer[] flapping = {null};
      pods.setPeriodic(2000, id -> {
        if (flapping[0] == null) {
          AgentProcess.listen(pods, AgentProcess.address(0), port).onSuccess(server -> flapping[0] = server);
        } else {
          flapping[0].close();
          flapping[0] = null;
        }
      });
      Bench.pause(60_000); // warm-up
      System.out.printf("%8s %14s %8s %8s %6s%n", "minute", "heap live MB", "RSS MB", "threads", "fds");
      long start = System.nanoTime();
      for (int minute = 1; ; minute++) {
        System.out.println(sample(pid, minute - 1));
        if (minute > minutes) {
          break;
        }
        long due = start + TimeUnit.MINUTES.toNanos(minute);
        Bench.pause(Math.max(0, (due - System.nanoTime()) / 1_000_000));
        if (!agent.isAlive()) {
          System.out.println("the agent died: " + Files.readString(dir.resolve("agent.log")));
          return;
        }
      }
      System.out.println("agent log lines at WARN and above: " + Files.readAllLines(dir.resolve("agent.log")).size());
    } finally {
      if (agent != null) {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
      }
      pods.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** Heap live after a full GC (jcmd), RSS, threads and open file descriptors of the agent. */
  private static String sample(long pid, int minute) throws Exception {
    Process gc = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.run").redirectErrorStream(true).start();
    gc.getInputStream().readAllBytes();
    gc.waitFor();
    Process info = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.heap_info").redirectErrorStream(true).start();
    String heap = new String(info.getInputStream().readAllBytes());
    info.waitFor();
    double usedKb = 0;
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:generation|space) +total \\d+K, used (\\d+)K").matcher(heap);
    while (m.find()) {
      usedKb += Long.parseLong(m.group(1));
    }
    double rss = AgentProcess.rssMb(pid);
    long threads = AgentProcess.threads(pid);
    long fds;
    try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      fds = list.count();
    }
    return String.format(Locale.ROOT, "%8d %14.1f %8.0f %8d %6d", minute, usedKb / 1024, rss, threads, fds);
  }
}
