package dev.lbhealth.agent.status;

import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-target series ({@code lb_agent_target_health}, {@code lb_agent_target_in_rotation},
 * {@code lb_agent_probes_total}, {@code lb_agent_health_transitions_total}) at a flat cost: a target
 * holds a few numbers, not meters. A probe adds one to a field; no meter, tag or registry entry
 * exists per target, and the series are made at scrape time from the numbers. At 10,000 targets
 * Micrometer's 30,000 meters (ids, tags, gauges, adders) held some 15 MB of the 128 MB heap and a
 * removed target cost a scan of every meter.
 */
final class TargetSeries implements MultiCollector {
  /**
   * One target's numbers. Written on the agent's event loop only (one writer), read by the scrape
   * on a worker: volatile, so the scrape sees each as written.
   */
  static final class Series {
    private final Target target;
    volatile int health = -1;
    volatile int inRotation;
    volatile long up;
    volatile long down;
    volatile long toUp;
    volatile long toDown;

    private Series(Target target) {
      this.target = target;
    }

    void probed(boolean healthy) {
      if (healthy) {
        up++;
      } else {
        down++;
      }
    }

    void transition(Health to) {
      if (to == Health.UP) {
        toUp++;
      } else if (to == Health.DOWN) {
        toDown++;
      }
    }
  }

  private final ConcurrentHashMap<Target, Series> series = new ConcurrentHashMap<>();

  /** The target's numbers; a target that left and came back (a SIGHUP, a rescheduled pod) keeps its counts. */
  Series of(Target target) {
    return series.computeIfAbsent(target, Series::new);
  }

  void forget(Target target) {
    series.remove(target);
  }

  void forget(String service) {
    series.keySet().removeIf(t -> t.service().equals(service));
  }

  /** How many targets have series. */
  int size() {
    return series.size();
  }

  @Override
  public MetricSnapshots collect() {
    List<GaugeDataPointSnapshot> health = new ArrayList<>(series.size());
    List<GaugeDataPointSnapshot> inRotation = new ArrayList<>(series.size());
    List<CounterDataPointSnapshot> probes = new ArrayList<>(series.size());
    List<CounterDataPointSnapshot> transitions = new ArrayList<>();
    for (Series s : series.values()) {
      Labels labels = Labels.of("service", s.target.service(), "node", s.target.node());
      health.add(new GaugeDataPointSnapshot(s.health, labels, null));
      inRotation.add(new GaugeDataPointSnapshot(s.inRotation, labels, null));
      counter(probes, s.up, labels, "outcome", "up");
      counter(probes, s.down, labels, "outcome", "down");
      counter(transitions, s.toUp, labels, "to", word(Health.UP));
      counter(transitions, s.toDown, labels, "to", word(Health.DOWN));
    }
    return MetricSnapshots.of(
        new GaugeSnapshot(new MetricMetadata("lb_agent_target_health", "Health of a target: 1 up, 0 down, -1 unknown"), health),
        new GaugeSnapshot(new MetricMetadata("lb_agent_target_in_rotation", "Whether the LB sends the target traffic (1) or not (0)"), inRotation),
        new CounterSnapshot(new MetricMetadata("lb_agent_probes", "Probe results, by service, node and outcome"), probes),
        new CounterSnapshot(new MetricMetadata("lb_agent_health_transitions", "Health changes of a target, by the state it went to"), transitions));
  }

  /** A counter's point, only once it counted something: a healthy node has one probe series, not two. */
  private static void counter(List<CounterDataPointSnapshot> points, long value, Labels labels, String name, String word) {
    if (value > 0) {
      points.add(new CounterDataPointSnapshot(value, labels.add(name, word), null, 0));
    }
  }

  private static String word(Health h) {
    return h.name().toLowerCase(Locale.ROOT);
  }
}
