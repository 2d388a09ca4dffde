package dev.lbhealth.agent.demo;

import dev.lbhealth.agent.apply.LbControl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * For the benchmarks: the agent's way to the LB as a box runs it. With {@code APPLY_HELPER=1} in
 * the environment, the apply helper runs as a process of its own with the JVM options of
 * systemd/lb-health-agent-apply.service, on a socket in the benchmark's folder, and the agent
 * goes through it (its log in target/apply-helper.log); otherwise the agent reaches the LB itself.
 */
final class ApplyHelperProcess {
  private ApplyHelperProcess() {}

  static boolean wanted() {
    return "1".equals(System.getenv("APPLY_HELPER"));
  }

  /** The control for an agent of this config: through a helper started here, or in-process. */
  static LbControl control(Path config, Path dir) throws Exception {
    if (!wanted()) {
      return LbControl.local();
    }
    Path socket = dir.resolve("apply-helper.sock");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.lbhealth.agent.cli.Main", "apply-helper",
        "--config", config.toString(), "--peer-user", System.getProperty("user.name"), "--socket", socket.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(Path.of("target", "apply-helper.log").toFile());
    builder.environment().put("LOG_LEVEL", "INFO");
    Process helper = builder.start();
    Runtime.getRuntime().addShutdownHook(new Thread(helper::destroy));
    Bench.waitUntil(() -> Files.exists(socket), 20_000);
    System.out.println("through the apply helper (pid " + helper.pid() + ", " + String.join(" ", jvmOptions()) + ")");
    return LbControl.helper(socket);
  }

  /** The JVM options in the helper unit's ExecStart, between java and -jar. */
  static List<String> jvmOptions() throws IOException {
    String exec = Files.readAllLines(Path.of("systemd/lb-health-agent-apply.service")).stream()
        .filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
    List<String> words = Arrays.asList(exec.split(" "));
    return words.subList(1, words.indexOf("-jar"));
  }
}
