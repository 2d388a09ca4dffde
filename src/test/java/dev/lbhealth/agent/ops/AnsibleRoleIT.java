package dev.lbhealth.agent.ops;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.demo.SeedScenario;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Ansible role for real: lint, syntax check, and a converge of the playbook into this
 * machine (connection local), twice; then the agent started the way the installed unit starts
 * it. Runs after `package`, since the role installs the built Debian package.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnsibleRoleIT {
  private static final Path ANSIBLE = Path.of("ansible").toAbsolutePath();
  private static final String VERSION = dev.lbhealth.agent.Version.get();
  private static final Path DEB = Path.of("target/lb-health-agent_" + VERSION + "_all.deb");
  private static final Path UNIT = Path.of("/lib/systemd/system/lb-health-agent.service");
  private static final Path LB_DIR = Path.of("/var/lib/lb-health-agent-test/conf.d");
  @TempDir static Path dir;
  private static int statusPort;

  @Test
  @Order(1)
  void lintAndSyntaxCheckAreClean() throws Exception {
    Shell lint = Shell.run(ANSIBLE, "ansible-lint");
    assertEquals(0, lint.exit(), lint.out());
    Shell syntax = Shell.run(ANSIBLE, "ansible-playbook", "--syntax-check", "-i", "inventory/hosts.ini", "site.yml");
    assertEquals(0, syntax.exit(), syntax.out());
  }

  private static Shell converge() throws Exception {
    return Shell.run(ANSIBLE, "ansible-playbook", "-i", dir.resolve("hosts.ini").toString(),
        "-e", "@" + dir.resolve("vars.yml"), "site.yml");
  }

  /** An interface keepalived accepts for VRRP (its config test refuses lo); never sent on. */
  private static String multicastInterface() throws Exception {
    for (String line : Shell.run(dir, "ip", "-o", "link", "show").out().lines().toList()) {
      String[] f = line.split(": ");
      if (f.length > 2 && line.contains("MULTICAST") && !f[1].equals("lo")) {
        return f[1].split("@")[0];
      }
    }
    return null;
  }

  @Test
  @Order(2)
  void convergesAndTheSecondRunChangesNothing() throws Exception {
    statusPort = SeedScenario.freePort();
    String iface = multicastInterface();
    Files.writeString(dir.resolve("hosts.ini"), "[lb_boxes]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n");
    // A kubeconfig as made from config/rbac.yaml (its server is never asked: no service here uses it).
    Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters: [{name: k3s, cluster: {server: "https://127.0.0.1:6443"}}]
        users: [{name: lb-health-agent, user: {token: not-a-real-token}}]
        contexts: [{name: lb, context: {cluster: k3s, user: lb-health-agent}}]
        current-context: lb
        """);
    Files.writeString(dir.resolve("vars.yml"), """
        lb_health_agent_kubeconfig_src: %s
        lb_health_agent_deb_src: %s
        lb_health_agent_status_port: %d
        lb_health_agent_services:
          - name: rsync-ssh
            port: %d
            probe: {type: tcp, interval: 100ms}
            nodes:
              - {name: copernicus, address: 127.0.0.2}
            lb: {kind: haproxy, file: %s/rsync-ssh.cfg, validate: "true", reload: "true"}
        lb_health_agent_keepalived_enabled: %s
        lb_health_agent_keepalived_interface: %s
        lb_health_agent_keepalived_virtual_ip: 127.0.0.100/32
        lb_health_agent_keepalived_auth_pass: test
        # This machine's own HAProxy is not the LB under test: RealSystemdIT wires one in a container.
        lb_health_agent_wire_lb: false
        """.formatted(kubeconfig, DEB.toAbsolutePath(), statusPort, SeedScenario.freePort(),
        LB_DIR, iface != null, iface == null ? "eth0" : iface));

    Shell first = converge();
    assertEquals(0, first.exit(), first.out());
    assertTrue(first.out().contains("failed=0"), first.out());
    Shell second = converge();
    assertEquals(0, second.exit(), second.out());
    assertTrue(second.out().matches("(?s).*localhost\\s+: ok=\\d+\\s+changed=0\\s+unreachable=0\\s+failed=0.*"),
        "idempotent: " + second.out().substring(second.out().indexOf("PLAY RECAP")));

    assertEquals("install ok installed " + VERSION,
        Shell.run(dir, "dpkg-query", "-W", "-f", "${Status} ${Version}", "lb-health-agent").out().strip(), "installed from the package");
    assertTrue(Files.readString(ANSIBLE.resolve("roles/lb_health_agent/defaults/main.yml")).contains("lb_health_agent_version: " + VERSION + "\n"),
        "the role's default package version is the pom's");
    assertFile("/usr/share/lb-health-agent/lb-health-agent.jar", "root", "root", "rw-r--r--");
    assertFile("/etc/lb-health-agent", "root", "lb-health-agent", "rwxr-x---");
    assertFile("/etc/lb-health-agent/agent.yaml", "root", "lb-health-agent", "rw-r-----");
    assertFile("/etc/lb-health-agent/kubeconfig", "root", "lb-health-agent", "rw-r-----");
    assertTrue(Files.readString(Path.of("/etc/lb-health-agent/agent.yaml")).contains("kubeconfig: /etc/lb-health-agent/kubeconfig"),
        "the config names the installed kubeconfig");
    assertFile(UNIT.toString(), "root", "root", "rw-r--r--");
    assertFalse(Files.exists(Path.of("/etc/systemd/system/lb-health-agent.service")), "no older unit shadows the package's");
    assertFile("/etc/systemd/system/lb-health-agent.service.d/site.conf", "root", "root", "rw-r--r--");
    assertFile("/etc/systemd/system/lb-health-agent-apply.service.d/site.conf", "root", "root", "rw-r--r--");
    assertFalse(Files.exists(Path.of("/usr/share/polkit-1/rules.d/50-lb-health-agent.rules")), "no polkit rule (the package had one before 0.2.0)");
    assertFile(LB_DIR.toString(), "root", "root", "rwxr-xr-x");
    if (iface != null) {
      assertFile("/etc/keepalived/keepalived.conf", "root", "root", "rw-r-----");
    }
    assertEquals(Files.readString(Path.of("systemd/lb-health-agent.service")), Files.readString(UNIT), "the repository's unit is installed");
    assertTrue(Files.readString(Path.of("/etc/systemd/system/lb-health-agent-apply.service.d/site.conf"))
        .contains("ReadWritePaths=-" + LB_DIR + "\n"), "the apply helper may write the site's LB folder");
    assertFalse(Files.readString(Path.of("/etc/systemd/system/lb-health-agent.service.d/site.conf")).contains("ReadWritePaths"),
        "the agent may write none");
    assertFalse(Shell.run(dir, "id", "-nG", "lb-health-agent").out().contains("haproxy"), "the agent's user is not in group haproxy");
    assertTrue(Shell.run(dir, "getent", "passwd", "lb-health-agent").out().strip().endsWith(":/usr/sbin/nologin"));
  }

  @Test
  @Order(4)
  void aKeepalivedPasswordVrrpWouldCutFailsTheRunAtOnce() throws Exception {
    Shell run = Shell.run(ANSIBLE, "ansible-playbook", "-i", dir.resolve("hosts.ini").toString(),
        "-e", "@" + dir.resolve("vars.yml"), "-e", "lb_health_agent_keepalived_enabled=true",
        "-e", "lb_health_agent_keepalived_auth_pass=change-me-please", "site.yml");
    assertEquals(2, run.exit(), run.out());
    assertTrue(run.out().contains("lb_health_agent_keepalived_auth_pass has 16 characters; VRRP's PASS authentication uses at most 8"), run.out());
    assertTrue(run.out().contains("changed=0"), "nothing was touched: " + run.out());
  }

  private static void assertFile(String path, String owner, String group, String mode) throws Exception {
    PosixFileAttributes a = Files.readAttributes(Path.of(path), PosixFileAttributes.class);
    assertEquals(owner + ":" + group + " " + mode,
        a.owner().getName() + ":" + a.group().getName() + " " + PosixFilePermissions.toString(a.permissions()), path);
  }

  @Test
  @Order(3)
  void theAgentRunsAsTheInstalledUnitsWouldAndReportsHealthy() throws Exception {
    List<String> unit = Files.readAllLines(UNIT);
    String user = value(unit, "User=");
    // The apply helper as root, as its unit runs it, but on a socket of its own binding (no systemd here).
    List<String> helperUnit = Files.readAllLines(Path.of("/lib/systemd/system/lb-health-agent-apply.service"));
    String socket = value(unit, "ExecStart=").replaceAll(".*--apply-helper (\\S+).*", "$1");
    List<String> helperCommand = new ArrayList<>(Arrays.asList(value(helperUnit, "ExecStart=").split(" ")));
    helperCommand.addAll(List.of("--socket", socket));
    Process helper = new ProcessBuilder(helperCommand).redirectErrorStream(true).redirectOutput(dir.resolve("helper.log").toFile()).start();
    List<String> command = new ArrayList<>(List.of("runuser", "-u", user, "--"));
    command.addAll(Arrays.asList(value(unit, "ExecStart=").split(" ")));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
    builder.environment().putAll(Map.of("LOG_LEVEL", value(unit, "Environment=LOG_LEVEL=")));
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(Path.of(socket)));
    Process agent = builder.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest healthz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/healthz")).build();
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> http.send(healthz, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      PosixFileAttributes written = Files.readAttributes(LB_DIR.resolve("rsync-ssh.cfg"), PosixFileAttributes.class);
      assertEquals("root", written.owner().getName(), "the LB file is written by the apply helper, not the agent's user");
      assertEquals(1, Shell.run(dir, "runuser", "-u", user, "--", "touch", LB_DIR.resolve("zz.cfg").toString()).exit(),
          "the agent's user cannot write the LB's folder");
    } finally {
      for (Process p : List.of(agent, helper)) {
        p.destroy();
        p.waitFor(15, TimeUnit.SECONDS);
        p.destroyForcibly();
      }
      Files.deleteIfExists(Path.of(socket));
    }
    assertTrue(Files.readString(dir.resolve("agent.log")).contains("ready: every service's first apply succeeded"));
  }

  private static String value(List<String> unit, String key) {
    return unit.stream().filter(l -> l.startsWith(key)).map(l -> l.substring(key.length())).findFirst().orElseThrow();
  }
}
