package dev.lbhealth.agent.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.Version;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Debian package that `mvn package` builds: lintian finds nothing at warning level or above,
 * it holds what an LB box needs, and the config is a conffile (an operator's edits survive an
 * upgrade). Installing it is proven by {@link AnsibleRoleIT}, whose role installs it with apt.
 */
class DebianPackageIT {
  private static final Path DEB = Path.of("target/lb-health-agent_" + Version.get() + "_all.deb");

  @Test
  void lintianIsClean() throws Exception {
    Shell lintian = Shell.run(Path.of("."), "lintian", "--fail-on", "warning", "--suppress-tags", "package-supports-alternative-init-but-no-init.d-script", DEB.toString());
    assertEquals(0, lintian.exit(), lintian.out());
    assertTrue(lintian.out().lines().noneMatch(l -> l.matches("[EW]: .*")), lintian.out());
  }

  @Test
  void holdsTheAgentItsUnitsAndAConffileButNoPolkitRule() throws Exception {
    String contents = Shell.run(Path.of("."), "dpkg-deb", "--contents", DEB.toString()).out();
    assertTrue(!contents.contains("polkit"), "the agent's user reloads nothing: " + contents);
    for (String path : List.of("./usr/share/lb-health-agent/lb-health-agent.jar", "./lib/systemd/system/lb-health-agent.service",
        "./lib/systemd/system/lb-health-agent-apply.service", "./lib/systemd/system/lb-health-agent-apply.socket",
        "./usr/share/lb-health-agent/systemd/nginx.conf",
        "./etc/lb-health-agent/agent.yaml", "./usr/share/doc/lb-health-agent/copyright", "./usr/share/doc/lb-health-agent/changelog.gz")) {
      assertTrue(contents.contains(path + "\n"), path + " in " + contents);
    }
    assertEquals("/etc/lb-health-agent/agent.yaml",
        Shell.run(Path.of("."), "sh", "-c", "dpkg-deb --ctrl-tarfile " + DEB + " | tar -xO ./conffiles").out().strip(), "conffiles");
    String control = Shell.run(Path.of("."), "dpkg-deb", "--field", DEB.toString(), "Version", "Depends").out();
    assertTrue(control.contains("Version: " + Version.get()) && control.contains("java17-runtime-headless"), control);
  }
}
