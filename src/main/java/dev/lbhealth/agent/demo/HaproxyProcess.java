package dev.lbhealth.agent.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy in master-worker mode, as on an LB box: a main config with one frontend that
 * uses the backend the agent writes into {@code conf.d/}, a Runtime API socket, and a reload by
 * SIGUSR2 to the master. For the demo, the tests and the benchmark.
 */
public final class HaproxyProcess implements AutoCloseable {
  private final Path dir;
  private final int frontendPort;
  private Process process;

  public HaproxyProcess(Path dir, int frontendPort, String backend) throws IOException {
    this.dir = dir;
    this.frontendPort = frontendPort;
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

  public long pid() {
    return process.pid();
  }

  /** Starts HAProxy and waits until its frontend accepts connections. */
  public void start() throws IOException, InterruptedException {
    process = new ProcessBuilder("haproxy", "-W", "-db", "-f", mainConfig().toString(), "-f", confDir().toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("haproxy.log").toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("haproxy exited " + process.exitValue() + ": " + Files.readString(dir.resolve("haproxy.log")));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", frontendPort), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(20);
      }
    }
    throw new IOException("haproxy did not listen on 127.0.0.1:" + frontendPort + " within 10s");
  }

  public String log() throws IOException {
    return Files.readString(dir.resolve("haproxy.log"));
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
