package dev.lbhealth.agent.ops;

import static dev.lbhealth.agent.ops.NspawnContainer.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent under a real systemd 252 (PID 1 of a systemd-nspawn container booted from a cached
 * Debian 12 root file system, a fresh overlay per test, loopback only): the README's by-hand
 * install run word for word, then what an operator does to a running box. Runs after
 * {@code package} (it installs the Debian package). Where nspawn cannot run the tests are skipped,
 * saying why.
 */
class RealSystemdIT {
  static final Path SHARE = Path.of("target/nspawn-share").toAbsolutePath();
  static final String DEB = "lb-health-agent_" + Version.get() + "_all.deb";
  private static final String AGENT = "java -jar /usr/share/lb-health-agent/lb-health-agent.jar";
  static Path rootfs;
  private static long startedNanos;

  /** Once per JVM, for every class of container tests. */
  @BeforeAll
  static synchronized void rootFileSystem() throws Exception {
    if (rootfs != null) {
      return; // made for another class of container tests in this JVM
    }
    String unavailable = NspawnContainer.unavailable();
    if (unavailable != null) {
      System.out.println("RealSystemdIT skipped: " + unavailable);
    }
    Assumptions.assumeTrue(unavailable == null, unavailable);
    startedNanos = System.nanoTime();
    Shell built = Shell.run(Path.of("."), "scripts/nspawn-rootfs.sh");
    assertEquals(0, built.exit(), built.out());
    rootfs = Path.of(built.out().strip().lines().reduce((a, b) -> b).orElseThrow());
    System.out.printf("root file system %s ready after %.1f s%n", rootfs, (System.nanoTime() - startedNanos) / 1e9);
    Files.createDirectories(SHARE);
    Files.copy(Path.of("target", DEB), SHARE.resolve(DEB), StandardCopyOption.REPLACE_EXISTING);
    for (String script : new String[] {"pretend-pod.py", "lb-client.py", "helper-request.py"}) {
      Files.copy(Path.of("src/test/resources/nspawn", script), SHARE.resolve(script), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @AfterAll
  static void figures() {
    if (rootfs != null) {
      System.out.printf("real-systemd harness: %.1f s in all%n", (System.nanoTime() - startedNanos) / 1e9);
    }
  }

  /** The README's by-hand block for the LB, with the seed's node addresses put on loopback. */
  static String byHand(String lb) throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    Matcher m = Pattern.compile("<!-- by-hand: " + lb + " -->\\n```sh\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertTrue(m.find(), "README has the by-hand block for " + lb);
    return onLoopback(m.group(1));
  }

  /** The seed's node addresses in a by-hand block, put on loopback (they are never dialled). */
  static String onLoopback(String byHand) {
    return byHand.replace("172.16.17.253", "127.0.0.2").replace("172.16.17.254", "127.0.0.3").replace("172.16.17.252", "127.0.0.4");
  }

  static void pod(NspawnContainer box, String node, String address, int port, boolean up) throws Exception {
    String unit = "pod-" + node + "-" + port;
    Shell r = up
        ? box.exec("systemd-run", "--quiet", "--unit=" + unit, "--collect", "python3", "/mnt/host/pretend-pod.py", address, String.valueOf(port), node)
        : box.exec("systemctl", "stop", unit);
    assertEquals(0, r.exit(), r.out());
  }

  /** Connects through the LB's frontend; the node that answered, or FAIL... */
  static String client(NspawnContainer box) throws Exception {
    return box.exec("python3", "/mnt/host/lb-client.py", "127.0.0.1", "30036").out().strip();
  }

  /**
   * What the agent believes, asked over its status API inside the box: every node of the first
   * service up and in rotation exactly where the pod runs, no fail-open, no warning in /healthz,
   * in ten reads in a row (a blind agent plus fail-open and redispatch still lets clients through).
   */
  /** Waits until the agent's journal has {@code line}; if it never does, the journal is in the failure. */
  static void inJournal(NspawnContainer box, String what, String line) throws Exception {
    try {
      waitFor(Duration.ofSeconds(15), what, () -> journal(box).contains(line));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(what + ": the journal has no '" + line + "':\n" + journal(box) + "\nstatus: "
          + box.exec("curl", "-s", "http://127.0.0.1:9900/status").out() + "\nthreads: "
          + box.exec("sh", "-c", "runuser -u lb-health-agent -- jcmd $(systemctl show -p MainPID --value lb-health-agent) Thread.print 2>&1 | head -150").out(), e);
    }
  }

  static void believes(NspawnContainer box, String podNode) throws Exception {
    String[] last = {""};
    try {
      waitFor(Duration.ofSeconds(15), "the agent to see the pod on " + podNode, () -> {
        for (int i = 0; i < 10; i++) {
          last[0] = box.exec("curl", "-s", "http://127.0.0.1:9900/status").out() + "\n"
              + box.exec("curl", "-s", "http://127.0.0.1:9900/healthz").out();
          if (!matches(last[0], podNode)) {
            return false;
          }
        }
        return true;
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("the agent does not believe the pod runs on " + podNode + " alone:\n" + last[0] + "\n" + journal(box), e);
    }
  }

  private static boolean matches(String statusAndHealthz, String podNode) {
    String[] parts = statusAndHealthz.split("\n", 2);
    try {
      io.vertx.core.json.JsonObject service = new io.vertx.core.json.JsonObject(parts[0]).getJsonArray("services").getJsonObject(0);
      io.vertx.core.json.JsonObject healthz = new io.vertx.core.json.JsonObject(parts[1]);
      boolean nodes = service.getJsonArray("nodes").stream().map(io.vertx.core.json.JsonObject.class::cast).allMatch(n -> {
        boolean here = n.getString("name").equals(podNode);
        return n.getString("health").equals(here ? "up" : "down") && n.getBoolean("inRotation") == here;
      });
      return nodes && !service.getBoolean("failOpen") && healthz.getJsonArray("warnings").isEmpty()
          && "ok".equals(healthz.getString("status"));
    } catch (RuntimeException notYet) {
      return false;
    }
  }

  static String show(NspawnContainer box, String property) throws Exception {
    return box.exec("systemctl", "show", "-p", property, "--value", "lb-health-agent").out().strip();
  }

  static String journal(NspawnContainer box) throws Exception {
    return box.exec("journalctl", "-u", "lb-health-agent", "--no-pager", "-o", "cat").out();
  }

  static Shell install(NspawnContainer box, String lb) throws Exception {
    Files.writeString(SHARE.resolve("by-hand-" + lb + ".sh"), "set -euo pipefail\ncd /mnt/host\n" + byHand(lb));
    return box.exec("bash", "/mnt/host/by-hand-" + lb + ".sh");
  }

  @Test
  void theReadmesHaproxyStepsMakeAWorkingBoxThatAnOperatorCanRun() throws Exception {
    try (NspawnContainer box = NspawnContainer.boot(rootfs, "lbha-haproxy", SHARE)) {
      System.out.printf("container boot to running: %.2f s%n", box.bootTime.toNanos() / 1e9);
      pod(box, "copernicus", "127.0.0.2", 9890, true);
      waitFor(Duration.ofSeconds(10), "the pod on copernicus", () -> box.exec("bash", "-c", "exec 3<>/dev/tcp/127.0.0.2/9890").exit() == 0);

      Shell installed = install(box, "haproxy");
      assertEquals(0, installed.exit(), installed.out());
      // systemctl enable --now returned at READY: the first apply is done and the LB serves.
      assertEquals("active", show(box, "ActiveState"), journal(box));
      assertEquals("copernicus", client(box), journal(box));
      // The block pasted twice: every step leaves what is there; the LB still starts and serves.
      Shell again = install(box, "haproxy");
      assertEquals(0, again.exit(), again.out());
      assertTrue(again.out().contains("/etc/haproxy/conf.d/rsync-ssh.cfg as it is: it exists"), again.out());
      assertEquals("1\n1", box.bash("grep -c '^frontend rsync-ssh$' /etc/haproxy/haproxy.cfg; grep -c '^CONFIG=' /etc/default/haproxy").out().strip());
      assertEquals("copernicus", client(box), journal(box));
      assertTrue(show(box, "StatusText").contains("rsync-ssh: in rotation [copernicus], 1/3 up"), show(box, "StatusText"));
      believes(box, "copernicus");

      assertEquals(0, box.exec("systemctl", "stop", "lb-health-agent").exit());
      long start = System.nanoTime();
      Shell started = box.exec("systemctl", "start", "lb-health-agent");
      double toReady = (System.nanoTime() - start) / 1e9;
      assertEquals(0, started.exit(), started.out());
      System.out.printf("systemctl start lb-health-agent to READY: %.2f s%n", toReady);
      assertEquals("copernicus", client(box), "serving when start returns");
      assertTrue(journal(box).contains("ready: every service's first apply succeeded"));

      // A pod move goes live over the Runtime API: HAProxy keeps its worker.
      String worker = box.exec("sh", "-c", "pgrep -P $(systemctl show -p MainPID --value haproxy)").out().strip();
      pod(box, "copernicus", "127.0.0.2", 9890, false);
      pod(box, "newton", "127.0.0.4", 9890, true);
      inJournal(box, "newton alone in rotation", "in rotation now [newton] (healthy) via runtime-api");
      for (int i = 0; i < 3; i++) {
        assertEquals("newton", client(box), "every connection reaches the pod");
      }
      believes(box, "newton");
      assertEquals(worker, box.exec("sh", "-c", "pgrep -P $(systemctl show -p MainPID --value haproxy)").out().strip(), "no reload");
      try {
        // Contains, not starts with: a GC pause or a busy machine may put "warning: agent
        // overloaded ... | " before the services for 30 s, which is STATUS= telling the truth.
        waitFor(Duration.ofSeconds(5), "STATUS= to follow", () -> show(box, "StatusText").contains("rsync-ssh: in rotation [newton], 1/3 up"));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("STATUS= is still '" + show(box, "StatusText") + "'\n" + journal(box), e);
      }
      assertTrue(box.exec("systemctl", "status", "--no-pager", "lb-health-agent").out().matches("(?s).*Status: \"[^\n]*rsync-ssh: in rotation \\[newton\\], 1/3 up.*"));

      // systemctl reload with an invalid config: the agent keeps running on the old one.
      String mainPid = show(box, "MainPID");
      // systemctl reload fails for it (ExecReload waits for the agent's verdict) and says why.
      Shell rejected = box.bash("cp /etc/lb-health-agent/agent.yaml /root/good.yaml && echo 'colour: blue' >> /etc/lb-health-agent/agent.yaml"
          + " && systemctl reload lb-health-agent");
      assertNotEquals(0, rejected.exit(), rejected.out());
      assertTrue(journal(box).contains("config reload rejected, still running the previous config"), journal(box));
      assertTrue(journal(box).contains("colour"), "the reload's own output names the bad key: " + journal(box));
      assertEquals(mainPid, show(box, "MainPID"));
      assertEquals("newton", client(box));

      // A valid one that needs a reload: a second service, a new backend, written and reloaded by the apply helper.
      pod(box, "copernicus", "127.0.0.2", 9891, true);
      assertEquals(0, box.bash("""
          cp /root/good.yaml /etc/lb-health-agent/agent.yaml && cat >> /etc/lb-health-agent/agent.yaml <<'YAML'
            - name: git-ssh
              port: 9891
              probe: { type: banner, expect: "SSH-2.0-" }
              nodes: [ { name: copernicus, address: 127.0.0.2 } ]
              lb: { kind: haproxy, file: /etc/haproxy/conf.d/git-ssh.cfg, runtime-api: /run/haproxy/admin.sock }
          YAML
          systemctl reload lb-health-agent""").exit());
      waitFor(Duration.ofSeconds(15), "HAProxy to run the new backend", () ->
          box.bash("echo 'show servers state git-ssh' | socat stdio /run/haproxy/admin.sock").out().contains(" copernicus 127.0.0.2 "));
      // The agent says it once the reload is verified, which may come just after HAProxy shows it.
      inJournal(box, "the agent to say it", "service git-ssh: in rotation now [copernicus] (healthy) via reload");

      // HAProxy stopped by the operator, then started: the agent goes on by itself. The file
      // follows a live switch on a worker, at most one write per min-reload-interval (1 s), so
      // it is waited for: HAProxy restarted within that second would load the previous set.
      try {
        waitFor(Duration.ofSeconds(10), "the file brought in line with the live switch", () ->
            box.bash("grep -qx '    server newton 127.0.0.4:9890' /etc/haproxy/conf.d/rsync-ssh.cfg").exit() == 0);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(box.bash("cat /etc/haproxy/conf.d/rsync-ssh.cfg").out() + "\n" + journal(box), e);
      }
      assertEquals(0, box.exec("systemctl", "stop", "haproxy").exit());
      // A stopped HAProxy is the agent's problem at once: /healthz 503 (keepalived fails over).
      // The drift check (10 s) finds it and runs the reload command, reload-or-restart: HAProxy
      // comes back by itself; or the operator starts it first.
      waitFor(Duration.ofSeconds(15), "/healthz to fail or HAProxy to be back", () ->
          box.exec("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9900/healthz").out().strip().equals("503")
              || box.exec("systemctl", "is-active", "haproxy").out().strip().equals("active"));
      assertEquals(0, box.exec("systemctl", "start", "haproxy").exit());
      String afterStart = client(box);
      if (!afterStart.equals("newton")) {
        // Say what HAProxy loaded and what the agent did meanwhile, should this ever fail again.
        throw new AssertionError("HAProxy starts from the agent's current file: expected newton, got " + afterStart
            + "\n" + box.bash("cat /etc/haproxy/conf.d/rsync-ssh.cfg; echo 'show servers state rsync-ssh' | socat stdio /run/haproxy/admin.sock").out()
            + "\n" + journal(box));
      }
      pod(box, "newton", "127.0.0.4", 9890, false);
      pod(box, "galileo", "127.0.0.3", 9890, true);
      inJournal(box, "galileo alone in rotation", "in rotation now [galileo] (healthy) via runtime-api");
      assertEquals("galileo", client(box));
      waitFor(Duration.ofSeconds(15), "/healthz", () -> box.exec("curl", "-sf", "http://127.0.0.1:9900/healthz").exit() == 0);
      believes(box, "galileo");

      // A hung agent: the watchdog (WatchdogSec=10s) kills it and systemd starts it again.
      String hung = show(box, "MainPID");
      long stopped = System.nanoTime();
      assertEquals(0, box.exec("kill", "-STOP", hung).exit());
      waitFor(Duration.ofSeconds(40), "the watchdog restart", () ->
          !show(box, "MainPID").equals(hung) && show(box, "ActiveState").equals("active") && show(box, "SubState").equals("running"));
      System.out.printf("kill -STOP to a running replacement: %.1f s%n", (System.nanoTime() - stopped) / 1e9);
      assertTrue(journal(box).contains("Watchdog timeout"), journal(box));
      assertNotEquals("", show(box, "StatusText"));
      assertEquals("galileo", client(box));
      assertFalse(journal(box).contains(" WARN  MeterRegistry"), journal(box));
    }
  }

  @Test
  void theReadmesNginxStepsMakeAWorkingBox() throws Exception {
    try (NspawnContainer box = NspawnContainer.boot(rootfs, "lbha-nginx", SHARE)) {
      pod(box, "galileo", "127.0.0.3", 9890, true);
      Shell installed = install(box, "nginx");
      assertEquals(0, installed.exit(), installed.out());
      assertEquals("active", show(box, "ActiveState"), journal(box));
      assertEquals("galileo", client(box), journal(box));
      pod(box, "galileo", "127.0.0.3", 9890, false);
      pod(box, "newton", "127.0.0.4", 9890, true);
      inJournal(box, "newton alone in rotation", "in rotation now [newton] (healthy) via reload");
      for (int i = 0; i < 3; i++) {
        assertEquals("newton", client(box), "every connection reaches the pod");
      }
      believes(box, "newton");
      assertFalse(journal(box).contains(" WARN  MeterRegistry"), journal(box));
      Shell again = install(box, "nginx");
      assertEquals(0, again.exit(), again.out());
      assertEquals("1", box.bash("grep -c '^    include /etc/nginx/stream.d/\\*.conf;$' /etc/nginx/nginx.conf").out().strip());
      assertEquals("newton", client(box), "the block run again changes nothing the agent keeps");

      // A config error at start stops there (exit 2): no restart every 5 s, the unit says why.
      assertEquals(0, box.bash("systemctl stop lb-health-agent && echo 'colour: blue' >> /etc/lb-health-agent/agent.yaml").exit());
      assertNotEquals(0, box.exec("systemctl", "start", "lb-health-agent").exit());
      // Watched past the unit's RestartSec (5 s): a restart would show within it.
      long watchUntil = System.nanoTime() + Duration.ofSeconds(7).toNanos();
      while (System.nanoTime() < watchUntil) {
        assertEquals("failed", show(box, "ActiveState"), journal(box));
        Thread.sleep(500);
      }
      assertEquals("0", show(box, "NRestarts"));
      assertEquals("2", show(box, "ExecMainStatus"));
      assertTrue(journal(box).contains("colour"), "the journal names the bad key: " + journal(box));
    }
  }
}
