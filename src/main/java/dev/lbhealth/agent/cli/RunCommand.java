package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.apply.LbControl;
import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.status.StatusJson;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.systemd.SystemdNotifier;
import dev.lbhealth.agent.status.AgentMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the agent until SIGTERM or SIGINT; SIGHUP re-reads the config.")
final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the agent's YAML config")
  Path config;

  @Option(names = "--reload-outcome", paramLabel = "FILE",
      description = "where each config re-read's outcome goes, for 'reload' (default: $RUNTIME_DIRECTORY/config-reload.json, none outside systemd)")
  Path reloadOutcome;

  @Option(names = "--apply-helper", paramLabel = "SOCKET",
      description = "reach the LB's files, reload and Runtime API only through the apply helper listening on SOCKET"
          + " (the packaged unit does: the agent's user then can write nothing the LB loads)")
  Path applyHelper;

  @Override
  public Integer call() throws Exception {
    AgentConfig loaded = Configs.loadOrReport(config);
    if (loaded == null) {
      return Main.EXIT_CONFIG;
    }
    AgentMetrics metrics = AgentMetrics.prometheus();
    // Vert.x reports its own figures (event loops, pools, connections) into the same registry.
    Vertx vertx = Vertx.builder()
        // Without the client domains: each service's probe client (and the Kubernetes API's) would
        // register the same untagged gauges ("already registered"), and per-connection client
        // metrics cost every probe; the agent's own lb_agent_probe_* series count the probes.
        // The HTTP server domain too: its request gauges collide the same way.
        // Netty's native epoll where it loads (x86_64, aarch64; else NIO): at 10,000 probes a
        // second it halves the agent's CPU (fewer syscalls per connect, no selector bookkeeping).
        .with(new VertxOptions().setPreferNativeTransport(true).setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
            .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
            .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)))
        .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
        .build();
    SystemdNotifier systemd = SystemdNotifier.fromEnvironment(System.getenv());
    Agent agent = new Agent(loaded, systemd, metrics, applyHelper == null ? LbControl.local() : LbControl.helper(applyHelper));
    try {
      vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.error("agent failed to start: {}", e.getCause() == null ? e : e.getCause().getMessage());
      vertx.close();
      systemd.close();
      return Main.EXIT_FAILURE;
    }
    Path outcomeFile = reloadOutcome != null ? reloadOutcome : ReloadOutcome.defaultFile(System.getenv());
    if (outcomeFile != null) {
      long pid = ProcessHandle.current().pid();
      agent.onConfigReload((sequence, outcome) -> vertx.executeBlocking(() -> {
        ReloadOutcome.write(outcomeFile, StatusJson.object(outcome).put("pid", pid).put("sequence", sequence));
        return null;
      }, false).onFailure(e -> LOG.warn("cannot write the reload outcome to {}: {}", outcomeFile, e.toString())));
    }
    // SIGHUP (systemctl reload) re-reads the config; an invalid file leaves the agent as it was.
    Sighup.onSignal(() -> {
      LOG.info("SIGHUP: re-reading {}", config);
      agent.reloadConfig(config);
    });
    LOG.info("lb-health-agent running {} service(s); status on http://{}:{}/status",
        loaded.services().size(), loaded.status().host(), agent.statusPort());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping");
      systemd.send("STOPPING=1");
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("unclean stop: {}", e.toString());
      }
      systemd.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }
}
