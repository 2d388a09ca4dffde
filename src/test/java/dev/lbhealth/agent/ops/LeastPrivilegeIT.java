package dev.lbhealth.agent.ops;

import static dev.lbhealth.agent.ops.NspawnContainer.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A compromised agent on a box installed by the README's steps, under a real systemd (as
 * {@link RealSystemdIT}): whatever runs as the agent's user tries what once made it root. It
 * writes a file HAProxy's or nginx's root master loads, reloads the LB, speaks to HAProxy's admin
 * socket, and sends the apply helper hostile server lists and Runtime API lines. Each is refused,
 * nothing is written outside the LB's own files, no command runs as root, and the LB keeps
 * serving the pod, with the agent still believing where it runs. Then an upgrade from 0.1.0's
 * layout (the user owning /etc/haproxy/conf.d, in group haproxy, with a polkit rule).
 */
class LeastPrivilegeIT {
  private static final Path SHARE = RealSystemdIT.SHARE;
  private static final String AS_AGENT = "runuser -u lb-health-agent -- ";
  private static final String HELPER = "/run/lb-health-agent-apply.sock";

  @BeforeAll
  static void rootFileSystem() throws Exception {
    RealSystemdIT.rootFileSystem();
  }

  /** Files changed since the marker anywhere a root process could leave something, minus the LB's own files. */
  private static List<String> writtenSince(NspawnContainer box, String... lbFiles) throws Exception {
    String found = box.bash("find /etc /usr /root /var/lib /var/spool /var/tmp /tmp /opt /srv /home -xdev"
        + " \\( -path '/tmp/systemd-private-*' -o -path '/var/lib/systemd' -o -path '/var/tmp/systemd-private-*' \\) -prune"
        + " -o -type f -newer /run/marker -print 2>/dev/null").out();
    List<String> left = new ArrayList<>(found.lines().filter(l -> !l.isBlank()).toList());
    left.removeAll(List.of(lbFiles));
    return left;
  }

  /** The helper's answers to hostile requests, sent as {@code user}. */
  private static List<String> askHelper(NspawnContainer box, String user, List<String> requests) throws Exception {
    Files.writeString(SHARE.resolve("requests.txt"), String.join("=====\n", requests));
    Shell r = box.bash("runuser -u " + user + " -- python3 /mnt/host/helper-request.py " + HELPER + " /mnt/host/requests.txt");
    assertEquals(0, r.exit(), r.out());
    return new JsonArray(r.out().strip()).stream().map(String::valueOf).toList();
  }

  private static String apply(String service, String servers) {
    return "apply " + service + " reload " + "0".repeat(64) + "\nhealthy yes\n" + servers + "end\n";
  }

  /** Asserts every hostile request was refused by the helper, naming what was wrong. */
  private static void refused(Map<String, String> expected, List<String> answers) {
    List<String> wrong = new ArrayList<>();
    List<String> requests = new ArrayList<>(expected.keySet());
    for (int i = 0; i < requests.size(); i++) {
      if (!answers.get(i).startsWith("refused\n") || !answers.get(i).contains(expected.get(requests.get(i)))) {
        wrong.add(requests.get(i) + " -> " + answers.get(i));
      }
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void aCompromisedAgentOnAnHaproxyBoxCannotBecomeRoot() throws Exception {
    try (NspawnContainer box = NspawnContainer.boot(RealSystemdIT.rootfs, "lbha-privsep-haproxy", SHARE)) {
      RealSystemdIT.pod(box, "copernicus", "127.0.0.2", 9890, true);
      waitFor(Duration.ofSeconds(10), "the pod on copernicus", () -> box.exec("bash", "-c", "exec 3<>/dev/tcp/127.0.0.2/9890").exit() == 0);
      Shell installed = RealSystemdIT.install(box, "haproxy");
      assertEquals(0, installed.exit(), installed.out());
      RealSystemdIT.believes(box, "copernicus");
      assertEquals(0, box.bash("touch /run/marker").exit());

      // The repro, word for word.
      Shell write = box.bash(AS_AGENT + "sh -c 'printf \"program pwn\\n    command /bin/sh -c \\\"id > /tmp/p\\\"\\n\" > /etc/haproxy/conf.d/zz.cfg'");
      assertNotEquals(0, write.exit());
      assertTrue(write.out().contains("Permission denied"), write.out());
      Shell reload = box.bash(AS_AGENT + "systemctl reload haproxy");
      assertNotEquals(0, reload.exit(), "no polkit rule lets the agent's user reload HAProxy: " + reload.out());
      Shell admin = box.bash("echo 'expert-mode on; show info' | " + AS_AGENT + "socat stdio /run/haproxy/admin.sock");
      assertTrue(admin.out().contains("Permission denied"), "HAProxy's admin socket is not the agent's: " + admin.out());
      Shell other = box.bash("runuser -u nobody -- python3 /mnt/host/helper-request.py " + HELPER + " /dev/null");
      assertTrue(other.out().contains("Permission denied"), "only the agent's group may connect to the helper: " + other.out());

      Map<String, String> hostile = new LinkedHashMap<>();
      hostile.put(apply("rsync-ssh", "server copernicus 127.0.0.2 9890 ready\nprogram pwn\n    command /bin/sh -c \"id > /tmp/p\"\n"),
          "line 4 'program pwn': expected 'server NAME ADDRESS PORT STATE'");
      hostile.put(apply("rsync-ssh", "server pwn;lua-load=/tmp/p.lua 127.0.0.2 9890 ready\n"), "server name is not a name");
      hostile.put(apply("rsync-ssh", "server copernicus 127.0.0.2 9890 ready external-check command /bin/sh\n"),
          "expected 'server NAME ADDRESS PORT STATE'");
      hostile.put(apply("../haproxy", "server copernicus 127.0.0.2 9890 ready\n"), "service name '../haproxy'");
      for (String line : List.of("expert-mode on", "debug dev exit", "add server rsync-ssh/x 127.0.0.9:22 crt /etc/shadow",
          "set server rsync-ssh/copernicus state ready; disable frontend rsync-ssh", "set ssl cert /etc/haproxy/x.pem")) {
        hostile.put("runtime rsync-ssh\nprompt\n" + line + "\nquit\n", "Runtime API command '" + line + "' is not one the agent sends");
      }
      refused(hostile, askHelper(box, "lb-health-agent", new ArrayList<>(hostile.keySet())));

      assertEquals(List.of(), writtenSince(box, "/etc/haproxy/conf.d/rsync-ssh.cfg"), "nothing written outside the LB's own files");
      assertEquals(1, box.bash("test -e /tmp/p || test -e /etc/haproxy/conf.d/zz.cfg").exit(), "no command ran as root");
      assertTrue(box.bash("journalctl -u lb-health-agent-apply --no-pager -o cat").out().contains("refused: "), "the helper logs refusals");
      assertEquals("copernicus", RealSystemdIT.client(box), "HAProxy keeps serving");

      // And the agent still does its work through the helper: a pod move, live over the Runtime API.
      RealSystemdIT.pod(box, "copernicus", "127.0.0.2", 9890, false);
      RealSystemdIT.pod(box, "newton", "127.0.0.4", 9890, true);
      RealSystemdIT.inJournal(box, "newton alone in rotation", "in rotation now [newton] (healthy) via runtime-api");
      assertEquals("newton", RealSystemdIT.client(box));
      RealSystemdIT.believes(box, "newton");
      assertEquals("root root 755", box.bash("stat -c '%U %G %a' /etc/haproxy/conf.d").out().strip());
    }
  }

  @Test
  void aCompromisedAgentOnAnNginxBoxCannotBecomeRoot() throws Exception {
    try (NspawnContainer box = NspawnContainer.boot(RealSystemdIT.rootfs, "lbha-privsep-nginx", SHARE)) {
      RealSystemdIT.pod(box, "galileo", "127.0.0.3", 9890, true);
      Shell installed = RealSystemdIT.install(box, "nginx");
      assertEquals(0, installed.exit(), installed.out());
      RealSystemdIT.believes(box, "galileo");
      assertEquals(0, box.bash("touch /run/marker").exit());

      Shell cron = box.bash(AS_AGENT + "sh -c 'printf \"access_log /etc/cron.d/pwn;\\n\" > /etc/nginx/stream.d/zz.conf'");
      assertTrue(cron.exit() != 0 && cron.out().contains("Permission denied"), cron.out());
      Shell shadow = box.bash(AS_AGENT + "sh -c 'printf \"include /etc/shadow;\\n\" > /etc/nginx/stream.d/zz.conf'");
      assertTrue(shadow.exit() != 0 && shadow.out().contains("Permission denied"), shadow.out());
      assertNotEquals(0, box.bash(AS_AGENT + "systemctl reload nginx").exit(), "no polkit rule lets the agent's user reload nginx");

      Map<String, String> hostile = new LinkedHashMap<>();
      hostile.put(apply("rsync-ssh", "server copernicus 127.0.0.2;access_log=/etc/cron.d/pwn 9890 ready\n"),
          "'127.0.0.2;access_log=/etc/cron.d/pwn' is not an IP address or host name");
      hostile.put(apply("rsync-ssh", "server copernicus 127.0.0.2 9890 ready\naccess_log /etc/cron.d/pwn;\n"),
          "expected 'server NAME ADDRESS PORT STATE'");
      hostile.put(apply("rsync-ssh", "server copernicus 127.0.0.2:1;include/etc/shadow 9890 ready\n"), "is not an IP address or host name");
      hostile.put(apply("rsync-ssh", "server x}include 127.0.0.2 9890 ready\n"), "server name is not a name");
      hostile.put("runtime rsync-ssh\nprompt\nshow info\nquit\n", "the service has no lb.runtime-api");
      refused(hostile, askHelper(box, "lb-health-agent", new ArrayList<>(hostile.keySet())));

      assertEquals(List.of(), writtenSince(box, "/etc/nginx/stream.d/rsync-ssh.conf"), "nothing written outside the LB's own files");
      assertEquals("", box.bash("ls -A /etc/cron.d | grep -v -e '^\\.placeholder$' -e '^e2scrub_all$' || true").out().strip(), "no cron job");
      assertEquals("galileo", RealSystemdIT.client(box), "nginx keeps serving");

      RealSystemdIT.pod(box, "galileo", "127.0.0.3", 9890, false);
      RealSystemdIT.pod(box, "newton", "127.0.0.4", 9890, true);
      RealSystemdIT.inJournal(box, "newton alone in rotation", "in rotation now [newton] (healthy) via reload");
      assertEquals("newton", RealSystemdIT.client(box));
      RealSystemdIT.believes(box, "newton");
    }
  }

  @Test
  void anUpgradeFromTheOldLayoutTakesTheAgentsRightsAway() throws Exception {
    // 0.1.0's package, built by its own script from its own files, around today's jar.
    Path old = Path.of("target/upgrade-from-0.1.0").toAbsolutePath();
    Shell made = Shell.run(Path.of("."), "bash", "-c", "rm -rf " + old + " && cp -r src/test/resources/upgrade-from-0.1.0 " + old
        + " && mkdir -p " + old + "/target && cp target/lb-health-agent.jar " + old + "/target/ && bash " + old + "/scripts/build-deb.sh 0.1.0"
        + " && cp " + old + "/target/lb-health-agent_0.1.0_all.deb " + SHARE + "/ && cp " + old + "/by-hand-haproxy.sh " + SHARE + "/by-hand-0.1.0.sh");
    assertEquals(0, made.exit(), made.out());
    try (NspawnContainer box = NspawnContainer.boot(RealSystemdIT.rootfs, "lbha-upgrade", SHARE)) {
      RealSystemdIT.pod(box, "copernicus", "127.0.0.2", 9890, true);
      String byHand = RealSystemdIT.onLoopback(Files.readString(SHARE.resolve("by-hand-0.1.0.sh")));
      Files.writeString(SHARE.resolve("by-hand-0.1.0.sh"), "set -euo pipefail\ncd /mnt/host\n" + byHand);
      Shell installed = box.bash("bash /mnt/host/by-hand-0.1.0.sh");
      assertEquals(0, installed.exit(), installed.out());
      assertEquals("copernicus", RealSystemdIT.client(box));
      assertEquals("lb-health-agent", box.bash("stat -c %U /etc/haproxy/conf.d").out().strip(), "0.1.0's layout");
      assertTrue(box.bash("id -nG lb-health-agent").out().contains("haproxy"));

      Shell upgraded = box.bash("cd /mnt/host && apt-get install -y ./" + RealSystemdIT.DEB);
      assertEquals(0, upgraded.exit(), upgraded.out());
      assertEquals("active", RealSystemdIT.show(box, "ActiveState"), RealSystemdIT.journal(box));
      assertTrue(box.bash("cat /proc/$(systemctl show -p MainPID --value lb-health-agent)/cmdline | tr '\\0' ' '").out()
          .contains("--apply-helper /run/lb-health-agent-apply.sock"), "the agent runs the new unit");
      assertEquals("root root 755", box.bash("stat -c '%U %G %a' /etc/haproxy/conf.d").out().strip());
      assertEquals("", box.bash("find /etc/haproxy/conf.d -user lb-health-agent").out().strip(), "no file of the agent's user left");
      assertTrue(!box.bash("id -nG lb-health-agent").out().contains("haproxy"), "out of group haproxy");
      assertEquals(1, box.bash("test -e /usr/share/polkit-1/rules.d/50-lb-health-agent.rules").exit(), "the polkit rule is gone");
      assertNotEquals(0, box.bash(AS_AGENT + "touch /etc/haproxy/conf.d/zz.cfg").exit());
      assertNotEquals(0, box.bash(AS_AGENT + "systemctl reload haproxy").exit());

      RealSystemdIT.pod(box, "copernicus", "127.0.0.2", 9890, false);
      RealSystemdIT.pod(box, "galileo", "127.0.0.3", 9890, true);
      RealSystemdIT.inJournal(box, "galileo alone in rotation", "in rotation now [galileo] (healthy) via runtime-api");
      assertEquals("galileo", RealSystemdIT.client(box));
      RealSystemdIT.believes(box, "galileo");
    }
  }
}
