package dev.lbhealth.agent.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HAProxy writer against the real {@code haproxy -c}, with a reload command that logs its calls. */
class HaproxyFileWriterTest {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void closeVertx() throws Exception {
    get(vertx.close());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
  private Path confD;
  private Path mainCfg;
  private Path reloads;

  @BeforeEach
  void haproxyConfig() throws Exception {
    confD = Files.createDirectories(dir.resolve("conf.d"));
    mainCfg = dir.resolve("haproxy.cfg");
    reloads = dir.resolve("reloads.log");
    Files.writeString(mainCfg, """
        defaults
            mode tcp
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend seed
            bind 127.0.0.1:30999
            default_backend rsync-ssh
        """);
  }

  private ServiceConfig service(String reload) throws Exception {
    return service(reload, "");
  }

  private ServiceConfig service(String reload, String extra) throws Exception {
    return ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
            lb:
              file: %s/rsync-ssh.cfg
              validate: "haproxy -c -f %s -f {dir}"
              reload: "%s"
        %s""".formatted(confD, mainCfg, reload, extra), "test").services().get(0);
  }

  private static ServerSet only(ServiceConfig s, int... active) {
    List<Target> all = new StaticBackendSource().targets(s);
    return ServerSet.of(all, java.util.Arrays.stream(active).mapToObj(all::get).toList(), "healthy");
  }

  private long reloadCount() throws Exception {
    return Files.exists(reloads) ? Files.readAllLines(reloads).size() : 0;
  }

  @Test
  void writesAValidFileReloadsOnceAndSkipsAnUnchangedSet() throws Exception {
    ServiceConfig s = service("echo reload >> " + reloads);
    HaproxyFileWriter writer = new HaproxyFileWriter(vertx, s, LbControl.local());
    ApplyResult first = get(writer.apply(only(s, 0)));
    assertEquals(Outcome.APPLIED, first.outcome(), first.errors().toString());
    assertEquals("reload", first.method());
    assertTrue(Files.readString(s.lb().file()).contains("server galileo 127.0.0.3:9890 disabled\n"));
    assertEquals(1, reloadCount());

    ApplyResult again = get(writer.apply(only(s, 0)));
    assertEquals(Outcome.UNCHANGED, again.outcome());
    assertEquals(1, reloadCount(), "an unchanged set neither writes nor reloads");

    assertEquals(Outcome.APPLIED, get(writer.apply(only(s, 1))).outcome());
    assertEquals(2, reloadCount());
    assertTrue(Files.readString(s.lb().file()).contains("server copernicus 127.0.0.2:9890 disabled\n"));
  }

  @Test
  void keepsLastGoodFileWhenValidationFails() throws Exception {
    ServiceConfig s = service("echo reload >> " + reloads);
    HaproxyFileWriter writer = new HaproxyFileWriter(vertx, s, LbControl.local());
    assertEquals(Outcome.APPLIED, get(writer.apply(only(s, 0))).outcome());
    String good = Files.readString(s.lb().file());
    // The operator's main config now defines a backend of the same name: any new file is refused.
    Files.writeString(mainCfg, Files.readString(mainCfg) + "backend rsync-ssh\n    server x 127.0.0.9:1\n");

    ApplyResult result = get(writer.apply(only(s, 1)));
    assertEquals(Outcome.FAILED, result.outcome());
    assertTrue(result.errors().get(0).startsWith("validation failed, live file kept: 'haproxy -c"), result.errors().toString());
    assertTrue(result.errors().get(0).contains("rsync-ssh"), "HAProxy's own words are in the error: " + result.errors());
    assertEquals(good, Files.readString(s.lb().file()));
    assertEquals(1, reloadCount(), "no reload after a failed validation");
    assertEquals(List.of("rsync-ssh.cfg"), listing(), "no temp or scratch file left beside the live one");
  }

  @Test
  void restoresThePreviousFileWhenTheReloadFails() throws Exception {
    ServiceConfig good = service("true");
    assertEquals(Outcome.APPLIED, get(new HaproxyFileWriter(vertx, good, LbControl.local()).apply(only(good, 0))).outcome());
    String before = Files.readString(good.lb().file());

    ServiceConfig failing = service("echo cannot reload >&2; exit 3");
    ApplyResult result = get(new HaproxyFileWriter(vertx, failing, LbControl.local()).apply(only(failing, 1)));
    assertEquals(Outcome.FAILED, result.outcome());
    assertEquals(List.of("reload failed, previous file restored: 'echo cannot reload >&2; exit 3' exited 3: cannot reload"), result.errors());
    assertEquals(before, Files.readString(good.lb().file()));
  }

  @Test
  void leavesNoFileWhenTheFirstReloadFails() throws Exception {
    ServiceConfig s = service("false");
    assertEquals(Outcome.FAILED, get(new HaproxyFileWriter(vertx, s, LbControl.local()).apply(only(s, 0))).outcome());
    assertNull(AtomicFile.read(s.lb().file()));
  }

  @Test
  void aRuntimeApiThatNeverAnswersFallsBackToAReloadInTime() throws Exception {
    Path socket = dir.resolve("silent.sock");
    try (ServerSocketChannel silent = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      silent.bind(UnixDomainSocketAddress.of(socket)); // accepts into its backlog, never answers
      ServiceConfig s = service("echo reload >> " + reloads,
          "      runtime-api: " + socket + "\n      command-timeout: 500ms\n");
      io.vertx.core.Promise<ApplyResult> applied = io.vertx.core.Promise.promise();
      LbWriter[] writer = new LbWriter[1];
      vertx.runOnContext(v -> {
        writer[0] = LbWriters.forService(vertx, s, ApplyListener.NONE);
        writer[0].apply(only(s, 1)).onComplete(applied);
      });
      ApplyResult result = get(applied.future());
      assertEquals(Outcome.APPLIED, result.outcome(), result.errors().toString());
      assertEquals("reload", result.method());
      assertEquals("runtime API " + socket + ": no answer within 500 ms; fell back to a reload", result.errors().get(0));
      // Applied, but not seen: the result says so, and the service reports it as a problem.
      assertEquals("the reload command succeeded, but nothing on the Runtime API shows what HAProxy loaded: runtime API "
          + socket + ": no answer within 500 ms", result.errors().get(1));
      assertEquals(1, reloadCount());
      get(writer[0].close());
    }
  }

  @Test
  void emptySetStillPassesHaproxyCheck() throws Exception {
    ServiceConfig s = service("true");
    ApplyResult result = get(new HaproxyFileWriter(vertx, s, LbControl.local()).apply(only(s)));
    assertEquals(Outcome.APPLIED, result.outcome(), result.errors().toString());
    assertTrue(Files.readString(s.lb().file()).contains("server copernicus 127.0.0.2:9890 disabled\n"));
  }

  private List<String> listing() throws Exception {
    try (Stream<Path> files = Files.list(confD)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
