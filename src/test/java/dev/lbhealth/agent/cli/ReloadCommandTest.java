package dev.lbhealth.agent.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code systemctl reload lb-health-agent} runs {@code reload --pid $MAINPID}: against a real agent
 * process, a config it rejects fails the reload with the errors named (exit 2) and the agent
 * keeps running; a good one exits 0 with what changed.
 */
class ReloadCommandTest {
  @TempDir Path dir;

  private static final String CONFIG = """
      status: { port: 0 }
      services:
        - name: rsync-ssh
          port: 9890
          probe: { type: tcp, interval: %s }
          nodes: [ { name: copernicus, address: 127.0.0.2 } ]
          lb: { file: %s/rsync-ssh.cfg, validate: "true", reload: "true" }
      """;

  private ProcessBuilder java(String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private record Outcome(int code, String out, String err) {}

  private Outcome reload(long pid, Path outcome) throws Exception {
    Path out = dir.resolve("reload.out");
    Path err = dir.resolve("reload.err");
    Process p = java("reload", "--pid", Long.toString(pid), "--outcome", outcome.toString(), "--timeout", "20")
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "reload returns");
    return new Outcome(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void aRejectedConfigFailsTheReloadWithItsErrorsAndAGoodOneSucceeds() throws Exception {
    Path config = dir.resolve("agent.yaml");
    Path outcome = dir.resolve("config-reload.json");
    Files.writeString(config, CONFIG.formatted("1s", dir));
    Process agent = java("run", "--config", config.toString(), "--reload-outcome", outcome.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dir.resolve("rsync-ssh.cfg")));

      Files.writeString(config, CONFIG.formatted("1s", dir).replace("interval: 1s", "interval: 1s, timeout: 5s"));
      Outcome rejected = reload(agent.pid(), outcome);
      assertEquals(Main.EXIT_CONFIG, rejected.code(), rejected.toString());
      assertTrue(rejected.err().contains("services[0].probe.timeout"), "the error names the field: " + rejected.err());
      assertTrue(agent.isAlive(), "the agent keeps running the previous config");

      Files.writeString(config, CONFIG.formatted("500ms", dir));
      Outcome applied = reload(agent.pid(), outcome);
      assertEquals(0, applied.code(), applied.toString());
      assertTrue(applied.out().contains("changed rsync-ssh"), applied.out());
    } finally {
      agent.destroy();
      agent.waitFor(15, TimeUnit.SECONDS);
      agent.destroyForcibly();
    }
  }

  @Test
  void noVerdictInTimeIsAFailureNotASuccess() throws Exception {
    // A process that ignores SIGHUP and never writes a verdict (an agent too old to know 'reload').
    Process sleeper = new ProcessBuilder("sh", "-c", "trap '' HUP; sleep 30").start();
    try {
      Path out = dir.resolve("reload.err");
      Process p = java("reload", "--pid", Long.toString(sleeper.pid()), "--outcome", dir.resolve("none.json").toString(),
          "--timeout", "1").redirectError(out.toFile()).start();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(Main.EXIT_FAILURE, p.exitValue());
      assertTrue(Files.readString(out).contains("gave no verdict within 1 s"), Files.readString(out));
    } finally {
      sleeper.destroyForcibly();
    }
  }
}
