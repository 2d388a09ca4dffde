package dev.lbhealth.agent.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A real HAProxy in master-worker mode, as on an LB box: a main config with one frontend that
 * uses the backend the agent writes into {@code conf.d/}, a Runtime API socket, and a reload by
 * SIGUSR2 to the master. For the demo, the tests and the benchmark.
 */
public final class HaproxyProcess implements LbProcess {
  private final Path dir;
  private final int frontendPort;
  private final String backend;
  private Process process;

  public HaproxyProcess(Path dir, int frontendPort, String backend) throws IOException {
    this.dir = dir;
    this.frontendPort = frontendPort;
    this.backend = backend;
    Files.createDirectories(confDir());
    Files.writeString(mainConfig(), String.join("\n",
        "global",
        "    master-worker",
        "    pidfile " + dir.resolve("haproxy.pid"),
        "    stats socket " + runtimeSocket() + " mode 600 level admin",
        "defaults",
        "    mode tcp",
        "    timeout connect 1s",
        "    timeout client 30s",
        "    timeout server 30s",
        "frontend seed",
        "    bind 127.0.0.1:" + frontendPort,
        "    default_backend " + backend,
        ""));
  }

  public Path mainConfig() {
    return dir.resolve("haproxy.cfg");
  }

  public Path confDir() {
    return dir.resolve("conf.d");
  }

  public Path runtimeSocket() {
    return dir.resolve("admin.sock");
  }

  @Override
  public Path lbFile() {
    return confDir().resolve(backend + ".cfg");
  }

  @Override
  public void writeUnmanaged(Map<String, String> nodes, int hostPort) throws IOException {
    StringBuilder b = new StringBuilder("backend " + backend + "\n    balance roundrobin\n    retries 0\n");
    nodes.forEach((node, address) -> b.append("    server ").append(node).append(' ').append(address).append(':').append(hostPort).append('\n'));
    Files.writeString(lbFile(), b.toString());
  }

  @Override
  public String agentLbYaml() {
    return String.join("\n",
        "    lb:",
        "      kind: haproxy",
        "      file: " + lbFile(),
        "      upstream: " + backend,
        "      validate: \"" + validateCommand() + "\"",
        "      reload: \"" + reloadCommand() + "\"",
        "      runtime-api: " + runtimeSocket(),
        "");
  }

  /** From HAProxy itself: servers running and in no maintenance ({@code show servers state}). */
  @Override
  public List<String> inRotation() throws IOException {
    List<String> up = new java.util.ArrayList<>();
    String state = runtime("show servers state " + backend);
    for (String line : state.split("\n")) {
      String[] f = line.split(" ");
      if (f.length > 6 && !line.startsWith("#")) {
        int opState = Integer.parseInt(f[5]);
        int admin = Integer.parseInt(f[6]);
        if (opState == 2 && (admin & 0x23) == 0) { // running, and no maintenance flag (forced, inherited, resolver)
          up.add(f[3]);
        }
      }
    }
    return up;
  }

  /** From HAProxy itself: servers in rotation without the drain flag. */
  @Override
  public List<String> takingNewConnections() throws IOException {
    return servers().stream().map(s -> s.split(" ")).filter(f -> f[2].equals("ready")).map(f -> f[0])
        .filter(inRotation()::contains).toList();
  }

  /**
   * Sends one line to the Runtime API and returns HAProxy's whole answer (blocking; for the
   * demo and the tests, not the agent).
   */
  public String runtime(String commandLine) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(runtimeSocket()));
      ch.write(ByteBuffer.wrap((commandLine + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(8192);
      while (ch.read(in) >= 0) {
        answer.write(in.array(), 0, in.position());
        in.clear();
      }
      return answer.toString(StandardCharsets.US_ASCII);
    }
  }

  /** The process ids of HAProxy's current workers (a reload replaces them). */
  public List<Long> workerPids() {
    return process.children().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).sorted().toList();
  }

  /** The servers of the backend as HAProxy runs them: "name address:port state" per server. */
  public List<String> servers() throws IOException {
    List<String> out = new java.util.ArrayList<>();
    for (String line : runtime("show servers state " + backend).split("\n")) {
      String[] f = line.split(" ");
      if (f.length > 18 && !line.startsWith("#")) {
        int admin = Integer.parseInt(f[6]);
        String state = (admin & 0x23) != 0 ? "maint" : (admin & 0x18) != 0 ? "drain" : "ready";
        out.add(f[3] + " " + f[4] + ":" + f[18] + " " + state);
      }
    }
    return out;
  }

  @Override
  public int reloads() throws IOException {
    return (int) log().lines().filter(l -> l.contains("Reloading HAProxy")).count();
  }

  @Override
  public int frontendPort() {
    return frontendPort;
  }

  /** The agent's validate command for this HAProxy. */
  public String validateCommand() {
    return "haproxy -c -f " + mainConfig() + " -f {dir}";
  }

  /** The agent's reload command: SIGUSR2 to the master. */
  public String reloadCommand() {
    return "kill -USR2 $(cat " + dir.resolve("haproxy.pid") + ")";
  }


  @Override
  public void start() throws IOException, InterruptedException {
    process = LbProcess.launch(List.of("haproxy", "-W", "-db", "-f", mainConfig().toString(), "-f", confDir().toString()),
        dir.resolve("haproxy.log"), frontendPort);
  }

  public String log() throws IOException {
    return Files.readString(dir.resolve("haproxy.log"));
  }

  @Override
  public void close() throws InterruptedException {
    LbProcess.stop(process);
  }
}
