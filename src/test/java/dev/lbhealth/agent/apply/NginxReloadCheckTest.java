package dev.lbhealth.agent.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.demo.NginxProcess;
import dev.lbhealth.agent.demo.SeedScenario;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload counts only when the running nginx loaded the file: its master runs a new generation
 * of workers. A reload command that exits 0 without nginx loading anything is a failed apply, and
 * the file on disk goes back to what nginx runs.
 */
class NginxReloadCheckTest {
  @TempDir Path dir;

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private ServiceConfig service(NginxProcess nginx, String reload) throws Exception {
    String lb = nginx.agentLbYaml();
    if (reload != null) {
      lb = lb.replaceAll("(?m)^      reload: .*$", "      reload: \"" + reload + "\"");
    }
    return ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
        """ + lb, "test").services().get(0);
  }

  private static ServerSet set(ServiceConfig s, int active) {
    List<Target> all = new StaticBackendSource().targets(s);
    return ServerSet.of(all, List.of(all.get(active)), ServerSet.HEALTHY);
  }

  @Test
  void aReloadThatNginxDidNotLoadFailsAndTheFileGoesBack() throws Exception {
    Vertx vertx = Vertx.vertx();
    NginxProcess nginx = new NginxProcess(dir, SeedScenario.freePort(), "rsync-ssh");
    try {
      nginx.writeUnmanaged(SeedScenario.NODES, 9890);
      nginx.start();
      ServiceConfig real = service(nginx, null);
      ApplyResult loaded = get(new NginxWriter(vertx, real, LbControl.local()).apply(set(real, 0)));
      assertEquals(Outcome.APPLIED, loaded.outcome(), loaded.errors().toString());
      String running = Files.readString(nginx.lbFile());

      ServiceConfig silent = service(nginx, "true"); // exits 0, tells nginx nothing
      ApplyResult notLoaded = get(new NginxWriter(vertx, silent, LbControl.local()).apply(set(silent, 1)));
      assertEquals(Outcome.FAILED, notLoaded.outcome());
      assertTrue(notLoaded.errors().get(0).contains("nginx did not load the file"), notLoaded.errors().toString());
      assertEquals(running, Files.readString(nginx.lbFile()), "the file on disk is what nginx runs");
    } finally {
      nginx.close();
      get(vertx.close());
    }
  }
}
