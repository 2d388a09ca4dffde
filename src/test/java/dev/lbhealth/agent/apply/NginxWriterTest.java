package dev.lbhealth.agent.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.render.NginxRenderer;
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

/**
 * The nginx writer against the real {@code nginx -t}: a config folder like /etc/nginx whose
 * main file includes the agent's files by absolute path, in both {@code stream} and {@code http}.
 */
class NginxWriterTest {
  @TempDir Path root;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void closeVertx() throws Exception {
    get(vertx.close());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
  private Path reloads;

  @BeforeEach
  void nginxConfig() throws Exception {
    Files.createDirectories(root.resolve("stream.d"));
    Files.createDirectories(root.resolve("http.d"));
    reloads = root.getParent().resolve(root.getFileName() + "-reloads.log");
    Files.deleteIfExists(reloads);
    Files.writeString(root.resolve("nginx.conf"), """
        load_module /usr/lib/nginx/modules/ngx_stream_module.so;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log;
        events { worker_connections 64; }
        stream {
            include %1$s/stream.d/*.conf;
        }
        http {
            access_log off;
            include %1$s/http.d/*.conf;
        }
        """.formatted(root));
  }

  private ServiceConfig service(String mode, String folder, String listen) throws Exception {
    return service(mode, folder, listen, "nginx -t -q -c {root}/nginx.conf");
  }

  private ServiceConfig service(String mode, String folder, String listen, String validate) throws Exception {
    return ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: 9890
            mode: %s
            probe: { type: tcp }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
            lb:
              kind: nginx
              file: %s/%s/rsync-ssh.conf
              config-root: %s
              listen: "%s"
              validate: "%s"
              reload: "echo reload >> %s"
        """.formatted(mode, root, folder, root, listen, validate, reloads), "test").services().get(0);
  }

  private static ServerSet set(ServiceConfig s, int... active) {
    List<Target> all = new StaticBackendSource().targets(s);
    return ServerSet.of(all, java.util.Arrays.stream(active).mapToObj(all::get).toList(), ServerSet.HEALTHY);
  }

  private long reloadCount() throws Exception {
    return Files.exists(reloads) ? Files.readAllLines(reloads).size() : 0;
  }

  @Test
  void streamAndHttpUpstreamsPassNginxTestAndReloadOnce() throws Exception {
    ServiceConfig stream = service("tcp", "stream.d", "127.0.0.1:30998");
    NginxWriter writer = new NginxWriter(vertx, stream, LbControl.local());
    ApplyResult first = get(writer.apply(set(stream, 0)));
    assertEquals(Outcome.APPLIED, first.outcome(), first.errors().toString());
    assertEquals(Outcome.UNCHANGED, get(writer.apply(set(stream, 0))).outcome());
    assertEquals(1, reloadCount(), "an unchanged file costs no reload");

    ServiceConfig http = service("http", "http.d", "127.0.0.1:30997");
    ApplyResult httpResult = get(new NginxWriter(vertx, http, LbControl.local()).apply(set(http, 0, 1)));
    assertEquals(Outcome.APPLIED, httpResult.outcome(), httpResult.errors().toString());
  }

  @Test
  void theCheckedCopyKeepsPidAndLogsInTheScratchFolderSoNoPrivilegeIsNeeded() throws Exception {
    Files.writeString(root.resolve("nginx.conf"), "pid /run/nginx.pid;\nerror_log /var/log/nginx/error.log warn;\n"
        + "http {\n    access_log /var/log/nginx/access.log;\n    include " + root + "/http.d/*.conf;\n}\n");
    // A validate command that shows what it was given: the copy, as the error names it.
    ServiceConfig s = service("http", "http.d", "8080", "cat {root}/nginx.conf; exit 1");
    String error = get(new NginxWriter(vertx, s, LbControl.local()).apply(set(s, 0))).errors().get(0);
    assertTrue(error.contains("pid " + root + "/.pid;"), error);
    assertTrue(error.contains("error_log " + root + "/.error_log warn;"), error);
    assertTrue(error.contains("access_log " + root + "/.access_log;"), error);
    assertTrue(error.contains("include " + root + "/http.d/*.conf;"), error);
  }

  @Test
  void emptySetStillPassesNginxTest() throws Exception {
    ServiceConfig s = service("tcp", "stream.d", "127.0.0.1:30998");
    ApplyResult result = get(new NginxWriter(vertx, s, LbControl.local()).apply(set(s)));
    assertEquals(Outcome.APPLIED, result.outcome(), result.errors().toString());
    assertTrue(Files.readString(s.lb().file()).contains("server 127.0.0.2:9890 down; # copernicus"));
  }

  @Test
  void rendererFaultIsCaughtByNginxTestAndTheOldFileStays() throws Exception {
    ServiceConfig s = service("tcp", "stream.d", "127.0.0.1:30998");
    assertEquals(Outcome.APPLIED, get(new NginxWriter(vertx, s, LbControl.local()).apply(set(s, 0))).outcome());
    String good = Files.readString(s.lb().file());

    NginxWriter faulty = new NginxWriter(vertx, s, LbControl.local(), (service, set) -> new NginxRenderer().render(service, set)
        .replace("max_fails=1", "max_fails=banana"));
    ApplyResult result = get(faulty.apply(set(s, 1)));
    assertEquals(Outcome.FAILED, result.outcome());
    String error = result.errors().get(0);
    assertTrue(error.startsWith("validation failed, live file kept: "), error);
    assertTrue(error.contains("invalid parameter \"max_fails=banana\" in " + s.lb().file() + " (candidate):"),
        "nginx's words, naming the real file: " + error);
    assertEquals(good, Files.readString(s.lb().file()));
    assertEquals(1, reloadCount(), "no reload after a failed validation");
    try (Stream<Path> files = Files.list(root.resolve("stream.d"))) {
      assertEquals(List.of("rsync-ssh.conf"), files.map(p -> p.getFileName().toString()).toList());
    }
  }
}
