package dev.lbhealth.agent.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up: from the agent's process start (the unit's JVM options, the shipped jar) to its first
 * apply (/healthz 200) with 3 services of 3 nodes, one pod per service (so two nodes per service
 * must be found down). Runs it several times and prints each and the median. Asserts nothing.
 * Run with bench/startup.sh.
 */
public final class StartupBenchmark {
  private StartupBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    String jar = args.length > 1 ? args[1] : "target/lb-health-agent.jar";
    Path dir = Files.createTempDirectory("lb-health-agent-startup");
    Vertx pods = Vertx.vertx();
    try {
      int statusPort = SeedScenario.freePort();
      StringBuilder yaml = new StringBuilder("status: { port: " + statusPort + " }\nservices:\n");
      List<Future<?>> listening = new ArrayList<>();
      for (int s = 0; s < 3; s++) {
        int port = SeedScenario.freePort();
        yaml.append("  - name: svc").append(s).append("\n    port: ").append(port)
            .append("\n    probe: { type: tcp, interval: 1s }\n    nodes:\n");
        for (int n = 0; n < 3; n++) {
          String address = "127.2." + s + "." + (n + 2);
          yaml.append("      - { name: node").append(n).append(", address: ").append(address).append(" }\n");
          if (n == s) {
            listening.add(AgentProcess.listen(pods, address, port));
          }
        }
        yaml.append("    lb: { file: ").append(dir.resolve("svc" + s + ".cfg")).append(", validate: \"true\", reload: \"true\" }\n");
      }
      Future.all(listening).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Path config = Files.writeString(dir.resolve("agent.yaml"), yaml);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
      HttpRequest healthz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/healthz")).build();
      List<Double> seconds = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        for (int s = 0; s < 3; s++) {
          Files.deleteIfExists(dir.resolve("svc" + s + ".cfg"));
        }
        long start = System.nanoTime();
        Process agent = AgentProcess.start(dir.resolve("agent.log"), "-jar", jar, "run", "--config", config.toString());
        try {
          while (true) {
            try {
              if (http.send(healthz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                break;
              }
            } catch (java.io.IOException notYet) {
              // not listening yet
            }
            if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(30)) {
              throw new IllegalStateException("no first apply within 30 s: " + Files.readString(dir.resolve("agent.log")));
            }
            Bench.pause(5);
          }
          seconds.add((System.nanoTime() - start) / 1e9);
        } finally {
          agent.destroy();
          agent.waitFor(20, TimeUnit.SECONDS);
        }
      }
      List<Double> sorted = new ArrayList<>(seconds);
      sorted.sort(null);
      System.out.printf(Locale.ROOT, "process start -> first apply (3 services x 3 nodes): %s; median %.2f s%n",
          seconds.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList(), sorted.get(sorted.size() / 2));
    } finally {
      pods.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
