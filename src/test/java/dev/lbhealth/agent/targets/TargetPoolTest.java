package dev.lbhealth.agent.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.timing.FakeTimers;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.events.EventListener;
import dev.lbhealth.agent.probe.ScriptedProbe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool's probe schedule and health on a fake clock, to the millisecond: the interval while a
 * node is steady, the fast interval while its health changes or no node of the service is
 * healthy, rise and fall, and flap damping. Chance falls in the middle (no jitter).
 */
class TargetPoolTest {
  private static final long LATENCY_MS = 10;

  @TempDir Path dir;
  private final FakeTimers timers = new FakeTimers();
  /** When each probe started, and each health change (time and new health). */
  private List<Long> probes;
  private final List<String> changes = new ArrayList<>();

  private ServiceConfig service(String probe) throws Exception {
    return ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp, interval: 1s, timeout: 100ms, fast-interval: 200ms, rise: 2, fall: 2, %s }
            nodes: [ { name: galileo, address: 127.0.0.3 } ]
            lb: { file: %s/rsync.cfg }
        """.formatted(probe, dir), "t").services().get(0);
  }

  /** A probe that answers {@code LATENCY_MS} after it starts, healthy when the script says so for its start. */
  private Probe scripted(LongPredicate healthyAt) {
    ScriptedProbe probe = new ScriptedProbe(timers, (target, start) -> healthyAt.test(start), target -> LATENCY_MS);
    probes = probe.starts;
    return probe;
  }

  private TargetPool pool(ServiceConfig service, Probe probe) {
    TargetPool pool = new TargetPool(service, probe, timers, EventListener.NONE,
        (ts, before, result) -> changes.add(timers.nowMillis() + " " + ts.health()));
    Map<Target, Placement> view = new LinkedHashMap<>();
    new dev.lbhealth.agent.discovery.StaticBackendSource().targets(service).forEach(t -> view.put(t, Placement.UNKNOWN));
    pool.update(service, view, true);
    return pool;
  }

  @Test
  void aSteadyNodeIsProbedEveryIntervalAChangingOneAndAServiceWithoutHealthyNodesAtTheFastInterval() throws Exception {
    // Healthy, then its port closed from 2 s to 3 s.
    pool(service("damping: off"), scripted(t -> t < 2_000 || t >= 3_000));
    timers.advance(5_000);
    assertEquals(List.of(
        125L,               // the first probe, in the middle of a quarter interval's spread
        1_125L,             // an interval after the last one started
        2_125L,             // fails: UP with one failure, so fast
        2_325L,             // fails again: DOWN (fall 2); the service has no healthy node, so fast
        2_525L, 2_725L, 2_925L,
        3_125L,             // answers: one success of rise 2, still fast
        3_325L,             // answers: UP, back to the interval
        4_325L), probes);
    assertEquals(List.of("135 UP", "2335 DOWN", "3335 UP"), changes);
  }

  @Test
  void aFlappingNodeIsHeldOutUntilItsPenaltyDecaysBelowReuse() throws Exception {
    // Answers in the even 400 ms windows until 4 s, then for good.
    pool(service("damping: { half-life: 2s, suppress: 2, reuse: 1, max-hold: 1m }"),
        scripted(t -> t >= 4_000 || (t / 400) % 2 == 0));
    timers.advance(9_000);
    // Each flip of the probes' verdict adds 1 to a penalty that halves every 2 s: 1 at 2,335 ms,
    // 1.87 at 2,735, 2.23 at 3,935 (above suppress 2: damped), 2.95 at 4,335, when the probes say
    // UP again but the node stays out. The penalty falls below reuse 1 after 3,117 ms more; the
    // first probe to end after that (7,535) lets it back.
    assertEquals(List.of("135 UP", "2335 DOWN", "2735 UP", "3935 DOWN", "7535 UP"), changes);
    List<Long> expected = new ArrayList<>(List.of(125L, 1_125L, 2_125L, 2_325L, 2_525L, 2_725L, 3_725L, 3_925L));
    for (long t = 4_125; t <= 7_525; t += 200) {
      expected.add(t); // held out while answering: probed at the fast interval
    }
    expected.add(8_525L); // in rotation again: the interval
    assertEquals(expected, probes);
  }
}
