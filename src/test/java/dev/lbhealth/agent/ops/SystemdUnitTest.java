package dev.lbhealth.agent.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped unit files, checked by systemd's own tools. */
class SystemdUnitTest {
  private static final Path UNITS = Path.of("systemd").toAbsolutePath();
  private static final Pattern EXPOSURE = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d) (\\w+)");
  @TempDir Path dir;

  /** The unit alone, as on an HAProxy box. */
  private Path haproxyOnly() throws Exception {
    return Files.copy(UNITS.resolve("lb-health-agent.service"), dir.resolve("lb-health-agent.service"));
  }

  /** The apply helper's units, beside the agent's as on a box. */
  private Path[] helperUnits() throws Exception {
    Files.copy(UNITS.resolve("lb-health-agent-apply.socket"), dir.resolve("lb-health-agent-apply.socket"));
    return new Path[] {Files.copy(UNITS.resolve("lb-health-agent-apply.service"), dir.resolve("lb-health-agent-apply.service")),
        dir.resolve("lb-health-agent-apply.socket")};
  }

  @Test
  void verifyFindsNothingToSay() throws Exception {
    Path[] helper = helperUnits();
    for (Path unit : new Path[] {haproxyOnly(), UNITS.resolve("lb-health-agent.service"), helper[0], helper[1]}) {
      Shell verify = Shell.run(dir, "systemd-analyze", "verify", unit.toString());
      assertEquals(0, verify.exit(), verify.out());
      assertEquals("", verify.out().strip(), "no warning either (an unknown key or bad value only warns)");
    }
  }

  @Test
  void securityRatesTheUnitsOkWithExposureAtMostTwo() throws Exception {
    // The repository's folder holds the nginx drop-in too: that is the nginx box's unit. The
    // apply helper runs as root (whoever writes what the LB's root master loads is root anyway),
    // with one capability, a read-only system but for the LB's folders, and loopback only.
    for (Path unit : new Path[] {haproxyOnly(), UNITS.resolve("lb-health-agent.service"), helperUnits()[0]}) {
      Shell security = Shell.run(dir, "systemd-analyze", "security", "--offline=yes", unit.toString());
      Matcher m = EXPOSURE.matcher(security.out());
      assertTrue(m.find(), security.out());
      System.out.printf("%s: exposure %s %s%n", unit, m.group(1), m.group(2));
      assertTrue(Double.parseDouble(m.group(1)) <= 2.0, m.group());
      assertEquals("OK", m.group(2));
    }
  }

  @Test
  void theAgentsUnitGivesItNoWayToChangeTheLb() throws Exception {
    String unit = Files.readString(UNITS.resolve("lb-health-agent.service"));
    String nginx = Files.readString(UNITS.resolve("lb-health-agent.service.d/nginx.conf"));
    assertTrue(unit.contains(" --apply-helper /run/lb-health-agent-apply.sock\n"), "the agent goes through the helper");
    assertTrue(unit.contains("\nRequires=lb-health-agent-apply.socket\n"));
    assertTrue(unit.contains("\nRestartPreventExitStatus=2\n"), "an invalid config is not restarted in a loop");
    assertFalse(unit.contains("ReadWritePaths") || nginx.contains("ReadWritePaths"), "no writable path");
    assertFalse(nginx.contains("CapabilityBoundingSet") || nginx.contains("AmbientCapabilities"), "no capability on nginx boxes either");
    String socket = Files.readString(UNITS.resolve("lb-health-agent-apply.socket"));
    assertTrue(socket.contains("\nSocketGroup=lb-health-agent\nSocketMode=0660\n"), socket);
  }

  @Test
  void jitNeedsWritableExecutableMemoryAndTheUnitSaysSo() throws Exception {
    String unit = Files.readString(UNITS.resolve("lb-health-agent.service"));
    assertTrue(unit.matches("(?s).*# The JVM's JIT compiler needs memory that is writable and executable.*\\nMemoryDenyWriteExecute=no\\n.*"));
    assertTrue(unit.contains("\nNoNewPrivileges=yes\n") && unit.contains("\nCapabilityBoundingSet=\n"));
  }
}
