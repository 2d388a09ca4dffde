package dev.lbhealth.agent.status;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code lb_agent_probe_duration_seconds}: how long probes took, a histogram per service and
 * outcome. A probe adds to a bucket, a sum and a count, with one writer (the agent's event loop):
 * no atomic adders, no clock read and no time window, where a Micrometer timer takes two clock
 * reads and four atomic updates, and keeps a windowed maximum that a 10,000-probe-a-second agent
 * would update for nothing. The scrape reads the numbers on a worker.
 */
final class ProbeDurations implements MultiCollector {
  /** Upper bounds of the buckets, in seconds, the last +Inf (it takes the rest); and in nanoseconds, the last left out. */
  private static final double[] UPPER_BOUNDS = {0.00025, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, Double.POSITIVE_INFINITY};
  private static final long[] BOUNDS_NANOS = new long[UPPER_BOUNDS.length - 1];

  static {
    for (int i = 0; i < BOUNDS_NANOS.length; i++) {
      BOUNDS_NANOS[i] = Math.round(UPPER_BOUNDS[i] * 1e9);
    }
  }

  /** One service's probes of one outcome. Written by one thread; read by the scrape. */
  static final class Histogram {
    private final String service;
    private final Labels labels;
    private final long[] counts = new long[UPPER_BOUNDS.length];
    private long sumNanos;
    /** Written after the bucket and the sum: a scrape that reads it sees those of every probe it counts. */
    private volatile long count;

    private Histogram(String service, String outcome) {
      this.service = service;
      this.labels = Labels.of("outcome", outcome, "service", service);
    }

    void record(long nanos) {
      int i = 0;
      while (i < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[i]) {
        i++;
      }
      counts[i]++;
      sumNanos += Math.max(0, nanos);
      count = count + 1;
    }

    long count() {
      return count;
    }

    /** The numbers as they are now; called after {@link #count()}, whose read makes the buckets of the probes it counts visible. */
    private HistogramDataPointSnapshot snapshot() {
      return new HistogramDataPointSnapshot(ClassicHistogramBuckets.of(UPPER_BOUNDS, counts.clone()), sumNanos / 1e9, labels,
          Exemplars.EMPTY, 0L);
    }
  }

  private final ConcurrentHashMap<String, Histogram> histograms = new ConcurrentHashMap<>();

  /** The histogram of {@code service}'s probes that came out {@code outcome} (up, down). */
  Histogram of(String service, String outcome) {
    return histograms.computeIfAbsent(service + '\0' + outcome, key -> new Histogram(service, outcome));
  }

  void forget(String service) {
    histograms.values().removeIf(h -> h.service.equals(service));
  }

  @Override
  public MetricSnapshots collect() {
    List<HistogramDataPointSnapshot> points = new ArrayList<>(histograms.size());
    for (Histogram h : histograms.values()) {
      if (h.count() > 0) {
        points.add(h.snapshot());
      }
    }
    return MetricSnapshots.of(new HistogramSnapshot(
        new MetricMetadata("lb_agent_probe_duration_seconds", "Time a probe took, by service and outcome", Unit.SECONDS), points));
  }
}
