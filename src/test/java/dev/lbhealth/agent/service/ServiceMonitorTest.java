package dev.lbhealth.agent.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.LbWriter;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.timing.FakeTimers;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.events.EventListener;
import dev.lbhealth.agent.probe.ScriptedProbe;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service's decide/apply queue on a fake clock, to the millisecond: the first apply waits for
 * every node's first answer; a writer that switches the LB live gets each change at once, and
 * changes that come while an apply runs go right after it, as one apply of the newest set; a
 * writer that reloads gets changes coalesced. Three nodes probed every second (rise 1, fall 1):
 * galileo and newton stop answering from 1 s to 2 s; newton answers 60 ms after it is asked,
 * the others 10 ms.
 */
class ServiceMonitorTest {
  @TempDir Path dir;
  private final FakeTimers timers = new FakeTimers();
  /** Each apply as it starts: its time and the nodes in rotation. */
  private final List<String> applies = new ArrayList<>();

  private ServiceConfig service(String coalesce) throws Exception {
    return ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp, interval: 1s, timeout: 100ms, rise: 1, fall: 1, damping: off }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
              - { name: newton, address: 127.0.0.4 }
            coalesce: %s
            lb: { file: %s/rsync.cfg }
        """.formatted(coalesce, dir), "t").services().get(0);
  }

  private final Probe probe = new ScriptedProbe(timers,
      (target, start) -> target.node().equals("copernicus") || start < 1_000 || start >= 2_000,
      target -> target.node().equals("newton") ? 60 : 10);

  /** A writer whose every apply takes {@code millis} of the fake clock. */
  private LbWriter writer(boolean live, long millis) {
    return new LbWriter() {
      @Override
      public Future<ApplyResult> apply(ServerSet set) {
        applies.add(timers.nowMillis() + " " + set.activeNodes());
        Promise<ApplyResult> done = Promise.promise();
        timers.setTimer(millis, () -> done.complete(new ApplyResult(ApplyResult.Outcome.APPLIED, "fake", millis * 1_000_000, List.of())));
        return done.future();
      }

      @Override
      public String preview(ServerSet set) {
        return set.toString();
      }

      @Override
      public boolean switchesLive() {
        return live;
      }
    };
  }

  private void run(ServiceConfig service, LbWriter writer) {
    ServiceMonitor monitor = new ServiceMonitor(service, null, probe, listener -> writer, timers, EventListener.NONE);
    monitor.start();
    timers.advance(3_000);
  }

  @Test
  void aLiveWriterGetsEachChangeAtOnceAndWhatCameDuringAnApplyRightAfterIt() throws Exception {
    run(service("{ min: 50ms, max: 200ms }"), writer(true, 300));
    assertEquals(List.of(
        "185 [copernicus, galileo, newton]", // newton's first answer (125 + 60) is the last one awaited
        "1135 [copernicus, newton]",         // galileo down, at once
        "1435 [copernicus]",                 // newton down at 1,185, while that apply ran: right after it
        "2135 [copernicus, galileo]",        // galileo up
        "2435 [copernicus, galileo, newton]"), // newton up at 2,185, during that apply: right after it
        applies);
  }

  @Test
  void aReloadingWriterGetsABurstOfChangesAsOneApplyOnceItIsQuiet() throws Exception {
    run(service("{ min: 100ms, max: 400ms }"), writer(false, 20));
    assertEquals(List.of(
        "285 [copernicus, galileo, newton]", // the first set, 100 ms after the last first answer
        "1285 [copernicus]",                 // galileo down at 1,135, newton at 1,185: one apply 100 ms after the last
        "2285 [copernicus, galileo, newton]"),
        applies);
  }
}
