package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.LbConfig.Kind;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed's setup on loopback: nodes copernicus 127.0.0.2, galileo 127.0.0.3, newton 127.0.0.4,
 * a pod's host port on some of them, and a real HAProxy or nginx in front on 127.0.0.1. Shared by the
 * demo, the end-to-end tests and the benchmark.
 */
public final class SeedScenario implements AutoCloseable {
  public static final Map<String, String> NODES = nodes();
  public static final String BACKEND = "rsync-ssh";

  private final int hostPort;
  private final LbProcess lb;
  private final Map<String, PretendPod> pods = new LinkedHashMap<>();

  public SeedScenario(Vertx vertx, Path dir, Kind kind, int frontendPort, int hostPort) throws IOException {
    this.hostPort = hostPort;
    this.lb = kind == Kind.HAPROXY
        ? new HaproxyProcess(dir.resolve("haproxy"), frontendPort, BACKEND)
        : new NginxProcess(dir.resolve("nginx"), frontendPort, BACKEND);
    NODES.forEach((node, address) -> pods.put(node, new PretendPod(vertx, node, address, hostPort)));
  }

  private static Map<String, String> nodes() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("copernicus", "127.0.0.2");
    m.put("galileo", "127.0.0.3");
    m.put("newton", "127.0.0.4");
    return java.util.Collections.unmodifiableMap(m);
  }

  /** A TCP port that is free on 127.0.0.1 now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public LbProcess lb() {
    return lb;
  }

  public PretendPod pod(String node) {
    return pods.get(node);
  }

  public Path lbFile() {
    return lb.lbFile();
  }

  public int hostPort() {
    return hostPort;
  }

  /** What the operator had before the agent: every node in plain round robin. */
  public void writeUnmanagedBackend() throws IOException {
    lb.writeUnmanaged(NODES, hostPort);
  }

  public LbClient client() {
    return new LbClient("127.0.0.1", lb.frontendPort(), 2000);
  }

  /** The agent config for this scenario: the embedded demo config with this run's paths. */
  public String agentConfigYaml(String whenEmpty) throws IOException {
    String template;
    try (InputStream in = SeedScenario.class.getResourceAsStream("/demo/seed-agent.yaml")) {
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return template
        .replace("${HOST_PORT}", String.valueOf(hostPort))
        .replace("${WHEN_EMPTY}", whenEmpty)
        .replace("${LB}\n", lb.agentLbYaml());
  }

  public AgentConfig agentConfig(String whenEmpty) throws IOException, ConfigException {
    return ConfigLoader.parse(agentConfigYaml(whenEmpty), "seed scenario");
  }


  @Override
  public void close() throws Exception {
    for (PretendPod pod : pods.values()) {
      pod.stop().toCompletionStage().toCompletableFuture().get();
    }
    lb.close();
  }
}
