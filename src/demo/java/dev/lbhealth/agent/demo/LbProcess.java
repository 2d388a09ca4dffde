package dev.lbhealth.agent.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real load balancer process on loopback for the demo, the tests and the benchmark. */
public interface LbProcess extends AutoCloseable {
  /** Starts it and waits until its frontend accepts connections. */
  void start() throws IOException, InterruptedException;

  int frontendPort();

  /** The file the agent owns. */
  Path lbFile();

  /** The operator's file before the agent: every node in plain round robin. */
  void writeUnmanaged(Map<String, String> nodes, int hostPort) throws IOException;

  /** The {@code lb:} block of the agent's config for this process (YAML, indented 4 spaces). */
  String agentLbYaml();

  /** The nodes it sends traffic to now, as far as it tells. */
  List<String> inRotation() throws IOException;

  /** The nodes it sends new connections to now (in rotation and not draining). */
  default List<String> takingNewConnections() throws IOException {
    return inRotation();
  }

  /** How many times it has reloaded its config so far. */
  int reloads() throws IOException;

  @Override
  void close() throws InterruptedException;

  /** Starts the command with its output in {@code log} and waits until it listens on the port. */
  static Process launch(List<String> command, Path log, int port) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(command.get(0) + " exited " + process.exitValue() + ": " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return process;
      } catch (IOException notYet) {
        Thread.sleep(20);
      }
    }
    stop(process);
    throw new IOException(command.get(0) + " did not listen on 127.0.0.1:" + port + " within 10s");
  }

  /** Stops the process and its children: SIGTERM, then SIGKILL after 5 s. */
  static void stop(Process process) throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }
  }
}
