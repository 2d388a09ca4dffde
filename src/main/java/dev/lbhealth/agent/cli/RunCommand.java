package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.Agent;
import dev.lbhealth.agent.config.AgentConfig;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the agent until SIGTERM or SIGINT.")
final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the agent's YAML config")
  Path config;

  @Override
  public Integer call() throws Exception {
    AgentConfig loaded = Configs.loadOrReport(config);
    if (loaded == null) {
      return Main.EXIT_CONFIG;
    }
    Vertx vertx = Vertx.vertx();
    Agent agent = new Agent(loaded);
    try {
      vertx.deployVerticle(agent).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.error("agent failed to start: {}", e.getCause() == null ? e : e.getCause().getMessage());
      vertx.close();
      return Main.EXIT_FAILURE;
    }
    LOG.info("lb-health-agent running {} service(s); status on http://{}:{}/status",
        loaded.services().size(), loaded.status().host(), agent.statusPort());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping");
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("unclean stop: {}", e.toString());
      }
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }
}
