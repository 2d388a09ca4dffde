package dev.lbhealth.agent.status;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

/**
 * The agent's own Prometheus series. Labels are bounded by the config: {@code service} and
 * {@code node} come from it, {@code outcome}, {@code method} and {@code state} are small fixed
 * sets. The probe duration histogram is per service and outcome, not per node, so that a scrape
 * stays small with a thousand targets; per-node results are counters. Both are numbers the agent
 * writes and the scrape reads ({@link TargetSeries}, {@link ProbeDurations}), not meters.
 */
public final class AgentMetrics {
  private static final Duration[] APPLY_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private final MeterRegistry registry;
  /** The per-target series, exported with the registry's own when it is a Prometheus one. */
  private final TargetSeries targets = new TargetSeries();
  /** The probe duration histograms, exported the same way. */
  private final ProbeDurations probeDurations = new ProbeDurations();

  public AgentMetrics(MeterRegistry registry) {
    this.registry = registry;
    if (registry instanceof PrometheusMeterRegistry prometheus) {
      prometheus.getPrometheusRegistry().register(targets);
      prometheus.getPrometheusRegistry().register(probeDurations);
    }
  }

  /** A registry of its own, in Prometheus format, with the JVM's own figures. */
  public static AgentMetrics prometheus() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // fabric8 opens more than one Vert.x HTTP client to the Kubernetes API, each with a pool of
    // the same name: their pool gauges would collide ("Gauge already registered" on every start).
    // The agent reports the API's state itself (lb_agent_kubernetes_connected).
    registry.config().meterFilter(MeterFilter.deny(id -> "http".equals(id.getTag("pool_type"))));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return new AgentMetrics(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /**
   * What one target's probes and health changes update, looked up once: a probe then costs a field
   * increment and a record into its service's duration histogram, no registry lookup, no tag
   * allocation and no atomic update. The per-target series are numbers in {@link TargetSeries},
   * not meters.
   */
  public final class TargetMeters {
    private final Target target;
    private final TargetSeries.Series series;
    private final ProbeDurations.Histogram upDuration;
    private ProbeDurations.Histogram downDuration;

    private TargetMeters(Target target) {
      this.target = target;
      this.series = targets.of(target);
      this.upDuration = probeDurations.of(target.service(), "up");
    }

    public void probed(boolean healthy, long nanos) {
      series.probed(healthy);
      if (healthy) {
        upDuration.record(nanos);
      } else {
        if (downDuration == null) {
          downDuration = probeDurations.of(target.service(), "down");
        }
        downDuration.record(nanos);
      }
    }

    /** The target's health now (the gauge: 1 up, 0 down, -1 unknown). */
    public void health(Health h) {
      series.health = gaugeValue(h);
    }

    /** The target's health changed to {@code to}. */
    public void transition(Health to) {
      series.transition(to);
      health(to);
    }

    public void inRotation(boolean inRotation) {
      series.inRotation = inRotation ? 1 : 0;
    }

    /** Probes counted so far, up and down. */
    public long probes() {
      return series.up + series.down;
    }
  }

  /** A probe timeout not counted against the node: the agent itself was held up meanwhile. */
  public void inconclusive(String service) {
    Counter.builder("lb_agent_probes_inconclusive")
        .description("Probe timeouts not counted against the node because the agent was held up (GC pause, blocked loop) meanwhile")
        .tags("service", service).register(registry).increment();
  }

  /** Stalls of the agent's event loop (no tick for more than 100 ms), and the last one's length. */
  public void loopStalls(java.util.function.LongSupplier count, java.util.function.LongSupplier lastMillis) {
    io.micrometer.core.instrument.FunctionCounter.builder("lb_agent_loop_stalls", count, c -> c.getAsLong())
        .description("Times the agent's event loop was held up for more than 100 ms (GC pause, blocked loop)").register(registry);
    Gauge.builder("lb_agent_loop_last_stall_seconds", lastMillis, l -> l.getAsLong() / 1000.0)
        .description("How long the last stall of the agent's event loop lasted").register(registry);
  }

  /** The meters of a target, with its health unknown until its first verdict. */
  public TargetMeters targetMeters(Target t) {
    TargetMeters meters = new TargetMeters(t);
    meters.health(Health.UNKNOWN);
    return meters;
  }

  public static int gaugeValue(Health h) {
    return switch (h) {
      case UP -> 1;
      case DOWN -> 0;
      case UNKNOWN -> -1;
    };
  }

  public void apply(String service, ApplyResult result) {
    String outcome = result.outcome().name().toLowerCase(Locale.ROOT);
    Counter.builder("lb_agent_applies")
        .description("Applies of a server set, by outcome and how the LB got it (none, runtime-api, reload)")
        .tags("service", service, "outcome", outcome, "method", result.method())
        .register(registry).increment();
    Timer.builder("lb_agent_apply_duration")
        .description("Time an apply took: render, validate, write, runtime API or reload")
        .tags("service", service, "method", result.method())
        .serviceLevelObjectives(APPLY_BUCKETS)
        .register(registry).record(result.durationNanos(), TimeUnit.NANOSECONDS);
  }

  /** Registers a service's server counts by state (ready, drain, maint) in the applied set. */
  public void servers(String service, ToIntFunction<ServerState> count) {
    for (ServerState state : ServerState.values()) {
      Gauge.builder("lb_agent_servers", () -> count.applyAsInt(state))
          .description("Servers of a service's applied set, by state (ready, drain, maint)")
          .tags("service", service, "state", state.word()).register(registry);
    }
  }

  /** Registers whether a service has servers in rotation although none is healthy (fail-open: 1). */
  public void failOpen(String service, java.util.function.BooleanSupplier failsOpen) {
    Gauge.builder("lb_agent_fail_open", () -> failsOpen.getAsBoolean() ? 1 : 0)
        .description("1 while the service has servers in rotation although no node is healthy (when-empty put them there)")
        .tags("service", service).register(registry);
  }

  /**
   * Registers whether a service's Kubernetes view is confirmed (1) or older than stale-after (0),
   * and how old it is.
   */
  public void kubernetesConnected(String service, java.util.function.BooleanSupplier connected,
      java.util.function.LongSupplier viewAgeMillis) {
    Gauge.builder("lb_agent_kubernetes_connected", () -> connected.getAsBoolean() ? 1 : 0)
        .description("Whether the API confirmed the service's Kubernetes view within stale-after (1) or not (0)")
        .tags("service", service).register(registry);
    Gauge.builder("lb_agent_kubernetes_view_age_seconds", () -> {
      long age = viewAgeMillis.getAsLong();
      return age < 0 ? Double.NaN : age / 1000.0;
    }).description("Time since the API last confirmed the service's Kubernetes view (NaN before the first list)")
        .tags("service", service).register(registry);
  }

  /** A write of the LB file after a live (Runtime API) switch, by outcome. */
  public void fileWrite(String service, FileWrite write) {
    Counter.builder("lb_agent_file_writes")
        .description("LB file brought in line after a live switch, by outcome (applied, unchanged, failed)")
        .tags("service", service, "outcome", write.outcome().name().toLowerCase(Locale.ROOT))
        .register(registry).increment();
    Timer.builder("lb_agent_file_write_duration")
        .description("Time a file write after a live switch took: validate and atomic write")
        .tags("service", service)
        .serviceLevelObjectives(APPLY_BUCKETS)
        .register(registry).record(write.durationNanos(), TimeUnit.NANOSECONDS);
  }

  /** HAProxy found differing from what the agent had applied. */
  public void drift(String service) {
    Counter.builder("lb_agent_drift")
        .description("Times the running LB differed from what the agent had applied (changed outside the agent)")
        .tags("service", service).register(registry).increment();
  }

  public void configReload(String outcome) {
    Counter.builder("lb_agent_config_reloads")
        .description("Config re-reads on SIGHUP, by outcome (applied, rejected)")
        .tags("outcome", outcome).register(registry).increment();
  }

  /** Registers the event loop's lag: how late a once-a-second timer, set on the calling context, fired last. */
  public void eventLoopDelay(io.vertx.core.Vertx vertx) {
    AtomicInteger micros = new AtomicInteger();
    Gauge.builder("lb_agent_event_loop_delay_seconds", micros, m -> m.get() / 1e6)
        .description("How late the agent's event loop ran its last once-a-second timer").register(registry);
    long[] due = {System.nanoTime() + 1_000_000_000L};
    vertx.setPeriodic(1000, id -> {
      long now = System.nanoTime();
      micros.set((int) Math.max(0, (now - due[0]) / 1000));
      due[0] = now + 1_000_000_000L;
    });
  }

  /** Removes the series of a target that left its service. */
  public void forget(Target t) {
    targets.forget(t);
  }

  /**
   * Removes a service's gauges (they read the state of the monitor being replaced); its counters
   * and timers stay, so that rates and increases across a SIGHUP that changed the service hold.
   */
  public void forgetGauges(String service) {
    for (Meter m : registry.getMeters()) {
      if (m instanceof Gauge && service.equals(m.getId().getTag("service"))) {
        registry.remove(m);
      }
    }
  }

  /** Removes every series of a service that is no longer configured. */
  public void forget(String service) {
    targets.forget(service);
    probeDurations.forget(service);
    for (Meter m : registry.getMeters()) {
      if (service.equals(m.getId().getTag("service"))) {
        registry.remove(m);
      }
    }
  }
}
