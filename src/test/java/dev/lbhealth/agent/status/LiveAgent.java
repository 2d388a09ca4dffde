package dev.lbhealth.agent.status;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.PretendPod;
import dev.lbhealth.agent.demo.SeedScenario;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An agent watching the seed's nodes on loopback, with pods running on some of them; its LB
 * file's validate and reload commands are {@code true}. For tests of what the agent shows.
 */
final class LiveAgent implements AutoCloseable {
  final Vertx vertx = Vertx.vertx();
  final Agent agent;
  private final Map<String, PretendPod> pods = new LinkedHashMap<>();

  /**
   * @param nodes how many of copernicus, galileo, newton the service has
   * @param running the nodes whose pod runs
   */
  LiveAgent(Path dir, int nodes, String... running) throws Exception {
    this(dir, "status: { port: 0 }", nodes, running);
  }

  /** @param status the agent's {@code status:} section, as YAML */
  LiveAgent(Path dir, String status, int nodes, String... running) throws Exception {
    int port = SeedScenario.freePort();
    StringBuilder list = new StringBuilder();
    SeedScenario.NODES.entrySet().stream().limit(nodes).forEach(n -> {
      list.append("      - { name: ").append(n.getKey()).append(", address: ").append(n.getValue()).append(" }\n");
      pods.put(n.getKey(), new PretendPod(vertx, n.getKey(), n.getValue(), port));
    });
    for (String node : running) {
      pods.get(node).start().toCompletionStage().toCompletableFuture().get();
    }
    Files.createDirectories(dir.resolve("conf.d"));
    agent = new Agent(ConfigLoader.parse("""
        %s
        services:
          - name: rsync-ssh
            port: %d
            probe: { type: banner, expect: "SSH-2.0-", interval: 100ms, timeout: 80ms, rise: 1, fall: 2 }
            nodes:
        %s    lb: { file: %s/conf.d/rsync-ssh.cfg, validate: "true", reload: "true" }
        """.formatted(status, port, list, dir), "test"));
    vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get();
  }

  String url(String path) {
    return "http://127.0.0.1:" + agent.statusPort() + path;
  }

  void stopPod(String node) throws Exception {
    pods.get(node).stop().toCompletionStage().toCompletableFuture().get();
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
