package dev.lbhealth.agent.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The jar that goes to an LB box holds the agent only: no demo, benchmark or pretend pod (a
 * benchmark class cleans up with recursive deletes), no test resources, and its entry point still
 * runs.
 */
class ShippedJarIT {
  private static final Path JAR = Path.of("target/lb-health-agent.jar");

  @Test
  void holdsTheAgentAndNothingOfTheDemo() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "mvn package built " + JAR);
    try (JarFile jar = new JarFile(JAR.toFile())) {
      List<String> ours = jar.stream().map(e -> e.getName()).filter(n -> n.startsWith("dev/lbhealth/")).toList();
      assertTrue(ours.stream().anyMatch(n -> n.equals("dev/lbhealth/agent/cli/Main.class")), "the agent is in it");
      assertEquals(List.of(), ours.stream().filter(n -> n.startsWith("dev/lbhealth/agent/demo/")).toList(), "no demo classes");
      assertEquals(null, jar.getEntry("demo/seed-agent.yaml"), "no demo config");
      assertEquals(null, jar.getEntry("hostile-configs/empty.yaml"), "no test resources");
    }
    Shell help = Shell.run(Path.of("."), List.of("java", "-jar", JAR.toString(), "--help"));
    assertEquals(0, help.exit(), help.out());
    assertTrue(help.out().contains("check-config") && !help.out().contains("demo"), help.out());
  }
}
