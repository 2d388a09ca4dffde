package dev.lbhealth.agent.helper;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.apply.HelperProtocol;
import dev.lbhealth.agent.apply.SocketIo;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.demo.HaproxyProcess;
import dev.lbhealth.agent.demo.NginxProcess;
import dev.lbhealth.agent.demo.SeedScenario;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The apply helper as an attacker who owns the agent's process would meet it: real HAProxy and
 * nginx, the helper on a real Unix socket, requests written by hand. Whatever is refused must be
 * refused with what was wrong, write nothing, and leave both LBs as they were.
 */
class ApplyHelperTest {
  private static final Map<String, String> NODES = new LinkedHashMap<>(Map.of(
      "copernicus", "127.0.0.2", "galileo", "127.0.0.3", "newton", "127.0.0.4"));
  @TempDir Path dir;
  private HaproxyProcess haproxy;
  private NginxProcess nginx;
  private int hostPort;
  private Path socket;
  private ApplyHelper helper;

  @BeforeEach
  void start() throws Exception {
    hostPort = SeedScenario.freePort();
    haproxy = new HaproxyProcess(Files.createDirectory(dir.resolve("haproxy")), SeedScenario.freePort(), "rsync-ssh");
    haproxy.writeUnmanaged(NODES, hostPort);
    haproxy.start();
    nginx = new NginxProcess(Files.createDirectory(dir.resolve("nginx")), SeedScenario.freePort(), "git-ssh");
    nginx.writeUnmanaged(NODES, hostPort);
    nginx.start();
    socket = dir.resolve("helper.sock");
    startHelper(System.getProperty("user.name"));
  }

  private void startHelper(String peerUser) throws Exception {
    if (helper != null) {
      helper.close();
    }
    String nodes = "    nodes:\n" + NODES.entrySet().stream()
        .map(n -> "      - { name: " + n.getKey() + ", address: " + n.getValue() + " }\n").reduce("", String::concat);
    helper = ApplyHelper.forConfig(ConfigLoader.parse("services:\n"
        + "  - name: rsync-ssh\n    port: " + hostPort + "\n    probe: { type: tcp }\n" + nodes + haproxy.agentLbYaml()
        + "  - name: git-ssh\n    port: " + hostPort + "\n    probe: { type: tcp }\n" + nodes + nginx.agentLbYaml(), "test"),
        ApplyHelper.bind(socket), peerUser).serveInBackground();
  }

  @AfterEach
  void stop() throws Exception {
    helper.close();
    haproxy.close();
    nginx.close();
  }

  private String ask(String request) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    try (SocketIo io = SocketIo.connect(socket.toString(), deadline)) {
      io.write(request, deadline);
      io.endOutput();
      return io.readAll(1 << 24, deadline);
    }
  }

  /** Everything an LB loads or shows, to compare before and after. */
  private String lbState() throws Exception {
    StringBuilder out = new StringBuilder();
    for (Path root : List.of(dir.resolve("haproxy"), dir.resolve("nginx"))) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(Files::isRegularFile).filter(f -> f.toString().matches(".*\\.(cfg|conf)")).sorted().toList()) {
          out.append(f).append(":\n").append(Files.readString(f));
        }
      }
    }
    // Each server's name, address, states and weights: not the seconds since its last change.
    haproxy.runtime("show servers state rsync-ssh").lines().filter(l -> !l.startsWith("#") && l.contains(" "))
        .map(l -> String.join(" ", java.util.Arrays.asList(l.split(" ")).subList(0, 9))).forEach(l -> out.append(l).append('\n'));
    return out
        .append(haproxy.workerPids()).append(haproxy.reloads()).append(nginx.reloads()).toString();
  }

  private String apply(String service, String serverLines) {
    return "apply " + service + " reload " + "0".repeat(64) + "\nhealthy yes\n" + serverLines + "end\n";
  }

  private String server(String name) {
    return "server " + name + " 127.0.0.2 " + hostPort + " ready\n";
  }

  @Test
  void hostileRequestsAreRefusedByNameAndChangeNothing() throws Exception {
    String before = lbState();
    Map<String, String> refusals = new LinkedHashMap<>();
    // HAProxy's root master runs what a loaded file says: program, lua-load, external-check.
    refusals.put(apply("rsync-ssh", server("copernicus") + "program pwn\n    command /bin/sh -c \"id > /tmp/p\"\n"),
        "line 4 'program pwn': expected 'server NAME ADDRESS PORT STATE'");
    refusals.put(apply("rsync-ssh", "server copernicus 127.0.0.2 " + hostPort + " ready check external-check command /bin/sh\n"),
        "expected 'server NAME ADDRESS PORT STATE'");
    refusals.put(apply("rsync-ssh", server("x\tlua-load")), "character 0x09 at column 9");
    refusals.put(apply("rsync-ssh", server("pwn;lua-load=/tmp/x.lua")), "server name is not a name");
    // nginx: an access_log to any path is a file written as root; include reads any file.
    refusals.put(apply("git-ssh", "server copernicus 127.0.0.2:1;access_log=/etc/cron.d/pwn " + hostPort + " ready\n"),
        "'127.0.0.2:1;access_log=/etc/cron.d/pwn' is not an IP address or host name");
    refusals.put(apply("git-ssh", "server copernicus 127.0.0.2;include/etc/shadow " + hostPort + " ready\n"),
        "is not an IP address or host name");
    refusals.put(apply("git-ssh", "server copernicus\u00a0include 127.0.0.2 " + hostPort + " ready\n"), "character 0xc2");
    refusals.put(apply("rsync-ssh", "server copernicus 127.0.0.2 22 ready\n"), "port 22 is not the service's port " + hostPort);
    refusals.put(apply("rsync-ssh", "server copernicus 127.0.0.2 " + hostPort + " up\n"), "state 'up' is not ready, drain or maint");
    refusals.put(apply("../../etc/cron.d/pwn", server("copernicus")), "service name '../../etc/cron.d/pwn'");
    refusals.put(apply("zz", server("copernicus")), "unknown service 'zz'");
    // Well-formed, but not what the agent's own rendering would be (its checksum).
    refusals.put(apply("rsync-ssh", server("copernicus")), "the servers render to other text than the agent's");
    refusals.put("apply rsync-ssh reload " + "0".repeat(64) + "\nhealthy yes\n" + server("copernicus"), "the request ended before 'end'");
    refusals.put("apply rsync-ssh reload " + "0".repeat(64) + "\nhealthy yes\nserver " + "a".repeat(600) + "\nend\n", "a line longer than 512 bytes");
    refusals.put(apply("rsync-ssh", ("server " + "n".repeat(60) + " " + "h".repeat(60) + "." + "h".repeat(60) + " " + hostPort + " ready\n")
        .repeat(HelperProtocol.MAX_SERVERS)), "a request larger than " + HelperProtocol.MAX_REQUEST + " bytes");
    refusals.put("exec /bin/sh -c id\n", "unknown request 'exec'");
    refusals.put("reload rsync-ssh; id\n", "service name 'rsync-ssh;'");
    refusals.put("restore git-ssh none\n", "that is not what the helper's last apply of it replaced");
    // The Runtime API: an admin socket takes commands that read memory, load files or reach other proxies.
    String[] runtime = {"expert-mode on", "experimental-mode on", "debug dev exit", "set ssl cert /etc/shadow",
        "add server rsync-ssh/x 127.0.0.9:22 crt /etc/shadow", "add server rsync-ssh/x 127.0.0.9:22 check",
        "set server rsync-ssh/copernicus state ready; shutdown frontend rsync-ssh", "disable frontend rsync-ssh",
        "show servers state other", "set server other/copernicus state maint", "show sess", "set server rsync-ssh/copernicus agent-send x",
        "shutdown sessions server rsync-ssh/copernicus now"};
    for (String line : runtime) {
      refusals.put("runtime rsync-ssh\nprompt\nshow info\n" + line + "\nquit\n", "Runtime API command '" + line + "' is not one the agent sends");
    }
    refusals.put("runtime git-ssh\nprompt\nshow info\nquit\n", "the service has no lb.runtime-api");

    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, String> r : refusals.entrySet()) {
      String answer = ask(r.getKey());
      if (!answer.startsWith("refused\n") || !answer.contains(r.getValue())) {
        wrong.add(HelperProtocol.printable(r.getKey()) + "\n  answered: " + answer);
      }
    }
    assertEquals(List.of(), wrong, "each refused with what was wrong");
    assertEquals(before, lbState(), "no LB file written, no reload, no server changed");
    assertTrue(haproxy.runtime("show info").contains("Pid: "), "HAProxy still answers");
    assertEquals(List.of(), Files.list(dir).filter(p -> !Files.isDirectory(p) && !p.equals(socket)).toList(), "no file left beside");
  }

  @Test
  void theAgentsOwnRuntimeApiLinesPass() throws Exception {
    String answer = ask("runtime rsync-ssh\nprompt\nset server rsync-ssh/galileo state maint\nshow servers state rsync-ssh\nquit\n");
    assertTrue(answer.contains(" galileo 127.0.0.3 "), answer);
    assertEquals(List.of("copernicus", "newton"), haproxy.inRotation().stream().sorted().toList(), "the command reached HAProxy");
  }

  /** An LB file as the agent's renderer marks it, for a service no longer configured. */
  private static String marked(String service, String body) {
    return "# Managed by lb-health-agent for service " + service + ". Changes made here are overwritten.\n" + body;
  }

  @Test
  void theFilesOfRemovedServicesGoWhereTheLbIsValidWithoutThemAndNothingElseDoes() throws Exception {
    Path conf = haproxy.lbFile().getParent();
    String backend = "    mode tcp\n    balance roundrobin\n    server copernicus 127.0.0.2:" + hostPort + "\n";
    Files.writeString(conf.resolve("old-ssh.cfg"), marked("old-ssh", "backend old-ssh\n" + backend));
    Files.writeString(conf.resolve("used-ssh.cfg"), marked("used-ssh", "backend used-ssh\n" + backend));
    // The operator's: a frontend that still sends to used-ssh, a backup HAProxy does not load, a backend of their own.
    Files.writeString(conf.resolve("00-frontends.cfg"), "frontend used\n    bind 127.0.0.1:" + SeedScenario.freePort()
        + "\n    mode tcp\n    default_backend used-ssh\n");
    Files.writeString(conf.resolve("old-ssh.cfg.bak"), marked("old-ssh", "backend old-ssh\n" + backend));
    Files.writeString(conf.resolve("mine.cfg"), "backend mine\n" + backend);
    Path stream = nginx.lbFile().getParent();
    Files.writeString(stream.resolve("old-git.conf"), marked("old-git", "upstream old-git {\n    server 127.0.0.2:" + hostPort + ";\n}\n"));
    assertEquals("ok\n", ask("reload rsync-ssh\n"));
    assertEquals("ok\n", ask("reload git-ssh\n"));
    await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.runtime("show servers state old-ssh").contains(" copernicus 127.0.0.2 "));
    int haproxyReloads = haproxy.reloads();
    int nginxReloads = nginx.reloads();

    String answer = ask(HelperProtocol.LEFTOVERS + "\n");

    assertTrue(answer.startsWith("ok\n") && answer.contains("removed " + conf.resolve("old-ssh.cfg") + "\n")
        && answer.contains("removed " + stream.resolve("old-git.conf") + "\n"), answer);
    assertTrue(answer.contains("kept " + conf.resolve("used-ssh.cfg") + ": the LB's config is not valid without it (")
        && answer.contains("'used-ssh'") && answer.contains("remove what still uses it, then reload the agent"), answer);
    assertEquals(List.of("00-frontends.cfg", "mine.cfg", "old-ssh.cfg.bak", "rsync-ssh.cfg", "used-ssh.cfg"),
        Files.list(conf).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList());
    assertEquals(List.of("git-ssh.conf"), Files.list(stream).map(p -> p.getFileName().toString()).sorted().toList());
    await().atMost(Duration.ofSeconds(10)).until(() -> haproxy.runtime("show servers state old-ssh").contains("Can't find backend"));
    assertTrue(haproxy.runtime("show servers state used-ssh").contains(" copernicus 127.0.0.2 "));
    assertEquals(haproxyReloads + 1, haproxy.reloads());
    assertEquals(nginxReloads + 1, nginx.reloads());
    // Once they are gone, nothing more goes and nothing reloads.
    assertTrue(ask(HelperProtocol.LEFTOVERS + " now\n").startsWith("refused\nmalformed 'leftovers' request"));
    assertEquals("ok\nkept " + conf.resolve("used-ssh.cfg"), ask(HelperProtocol.LEFTOVERS + "\n").lines().limit(2).reduce((a, b) -> a + "\n" + b.replaceAll(":.*", "")).orElseThrow());
    assertEquals(haproxyReloads + 1, haproxy.reloads());
    assertEquals(nginxReloads + 1, nginx.reloads());
  }

  @Test
  void aPeerThatIsNotTheAgentsUserIsRefused() throws Exception {
    startHelper("lb-health-agent-nobody");
    String before = lbState();
    String answer = ask("runtime rsync-ssh\nprompt\nset server rsync-ssh/galileo state maint\nquit\n");
    assertTrue(answer.startsWith("refused\npeer user " + System.getProperty("user.name") + " is not lb-health-agent-nobody"), answer);
    assertEquals(before, lbState());
  }
}
