package dev.lbhealth.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.demo.DemoCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The README's first command, {@code ./demo.sh}: the demo ends well only when the agent's own
 * view (/status) matched where the pod ran, read after read, not merely when clients got through.
 */
class DemoTest {
  @ParameterizedTest(name = "--lb {0}")
  @ValueSource(strings = {"haproxy", "nginx"})
  void theDemoShowsThePodMoveHealedAndTheAgentsViewMatchingIt(String lb) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new DemoCommand()).execute("--lb", lb);
    } finally {
      System.setOut(stdout);
    }
    String said = out.toString(StandardCharsets.UTF_8);
    stdout.print(said);
    assertEquals(0, exit, said);
    assertTrue(said.contains("the agent's own view matches: copernicus alone up and in rotation"), said);
    assertTrue(said.contains("the agent's own view matches: newton alone up and in rotation"), said);
    assertTrue(said.contains("=> 9 of 9 connections worked"), said);
  }
}
