package dev.lbhealth.agent.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A real nginx (master and worker) as on an LB box: a main config whose {@code stream {}} block
 * includes {@code stream.d/*.conf} by absolute path; the agent's file there holds the upstream
 * and the proxy server listening on the frontend port. Reload: {@code nginx -s reload}.
 */
public final class NginxProcess implements LbProcess {
  private final Path root;
  private final int frontendPort;
  private final String upstream;
  private Process process;

  public NginxProcess(Path root, int frontendPort, String upstream) throws IOException {
    this.root = root;
    this.frontendPort = frontendPort;
    this.upstream = upstream;
    Files.createDirectories(root.resolve("stream.d"));
    Files.writeString(mainConfig(), String.join("\n",
        "load_module /usr/lib/nginx/modules/ngx_stream_module.so;",
        "pid " + root.resolve("nginx.pid") + ";",
        "error_log " + root.resolve("error.log") + " notice;",
        "worker_processes 1;",
        "events { worker_connections 1024; }",
        "stream {",
        "    include " + root.resolve("stream.d") + "/*.conf;",
        "}",
        ""));
  }

  public Path mainConfig() {
    return root.resolve("nginx.conf");
  }

  @Override
  public Path lbFile() {
    return root.resolve("stream.d").resolve(upstream + ".conf");
  }

  @Override
  public int frontendPort() {
    return frontendPort;
  }

  @Override
  public void writeUnmanaged(Map<String, String> nodes, int hostPort) throws IOException {
    StringBuilder b = new StringBuilder("upstream " + upstream + " {\n");
    nodes.values().forEach(address -> b.append("    server ").append(address).append(':').append(hostPort).append(";\n"));
    b.append("}\nserver {\n    listen 127.0.0.1:").append(frontendPort).append(";\n    proxy_pass ").append(upstream).append(";\n}\n");
    Files.writeString(lbFile(), b.toString());
  }

  @Override
  public String agentLbYaml() {
    return String.join("\n",
        "    lb:",
        "      kind: nginx",
        "      file: " + lbFile(),
        "      upstream: " + upstream,
        "      listen: 127.0.0.1:" + frontendPort,
        "      config-root: " + root,
        "      validate: \"nginx -t -q -c {root}/nginx.conf\"",
        "      reload: \"nginx -s reload -c " + mainConfig() + "\"",
        "");
  }

  @Override
  public void start() throws IOException, InterruptedException {
    process = LbProcess.launch(List.of("nginx", "-c", mainConfig().toString(), "-g", "daemon off;"),
        root.resolve("nginx.out"), frontendPort);
  }

  /** From the file nginx last loaded: servers not marked down, by the node named in the comment. */
  @Override
  public List<String> inRotation() throws IOException {
    return Files.readString(lbFile()).lines()
        .filter(l -> l.strip().startsWith("server ") && l.contains("; # ") && !l.contains(" down;"))
        .map(l -> l.substring(l.indexOf("; # ") + 4).strip())
        .toList();
  }

  /** How many upstream connects nginx has seen refused so far (its error log). */
  public int refusedUpstreamConnects() throws IOException {
    Path log = root.resolve("error.log");
    return Files.exists(log) ? (int) Files.readString(log).lines().filter(l -> l.contains("(111: Connection refused)")).count() : 0;
  }

  @Override
  public int reloads() throws IOException {
    Path log = root.resolve("error.log");
    return Files.exists(log) ? (int) Files.readString(log).lines().filter(l -> l.contains("signal 1 (SIGHUP) received")).count() : 0;
  }

  /** Old workers of this nginx still shutting down after a reload (from {@code ps}, by parent pid). */
  public int oldWorkers() throws IOException, InterruptedException {
    Process ps = new ProcessBuilder("ps", "-o", "args=", "--ppid", String.valueOf(process.pid())).redirectErrorStream(true).start();
    String out = new String(ps.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    ps.waitFor();
    return (int) out.lines().filter(l -> l.contains("worker process is shutting down")).count();
  }

  @Override
  public void close() throws InterruptedException {
    LbProcess.stop(process);
  }
}
