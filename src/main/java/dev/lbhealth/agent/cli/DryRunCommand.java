package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.apply.LbWriters;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.Decision;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.KubernetesClients;
import dev.lbhealth.agent.discovery.KubernetesView;
import dev.lbhealth.agent.discovery.Placement;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.health.HealthCounter;
import dev.lbhealth.agent.probe.Probe;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.probe.Probes;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dry-run", mixinStandardHelpOptions = true,
    description = "Ask Kubernetes (if configured), probe every node once and print what would be written; change nothing"
        + " (with --write: write the files that do not exist yet, checked by lb.validate, but reload nothing).")
final class DryRunCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the agent's YAML config")
  Path config;

  @Option(names = "--write", description = "write each service's LB file that does not exist yet (validated, atomically)"
      + " without a reload: the set-up step before the LB is restarted with the agent's files in its config. An existing"
      + " file is left alone: it is the running agent's, and writing it from a fresh probe would fight the agent")
  boolean write;

  @Override
  public Integer call() throws Exception {
    AgentConfig loaded = Configs.loadOrReport(config);
    if (loaded == null) {
      return Main.EXIT_CONFIG;
    }
    Vertx vertx = Vertx.vertx();
    KubernetesClient kubernetes = loaded.kubernetes() == null ? null : KubernetesClients.create(vertx, loaded.kubernetes());
    try {
      for (ServiceConfig service : loaded.services()) {
        Map<Target, Placement> discovered = Map.of();
        if (service.kubernetes() != null) {
          KubernetesView view = KubernetesView.of(service, loaded.kubernetes().allowAddresses(),
              kubernetes.genericKubernetesResources(KubernetesView.NODES).list().getItems(),
              kubernetes.genericKubernetesResources(KubernetesView.PODS).inNamespace(service.kubernetes().namespace())
                  .withLabelSelector(service.kubernetes().selector()).list().getItems());
          System.out.println("# service " + service.name() + ": what Kubernetes says (" + service.kubernetes().namespace()
              + "/" + service.kubernetes().selector() + ")");
          view.targets().forEach((t, p) -> System.out.printf("#   %-20s %-22s %s%n", t.node(), t.hostPort(), p.name().toLowerCase()));
          view.refused().forEach(r -> System.out.println("#   " + r));
          discovered = view.targets();
        }
        Map<Target, Placement> placement = new StaticBackendSource().withDiscovered(service, discovered);
        List<Target> targets = List.copyOf(placement.keySet());
        Probe probe = Probes.create(vertx, service.probe());
        Map<Target, Health> health = new LinkedHashMap<>();
        System.out.println("# service " + service.name() + ": probed as the agent does at start");
        for (Target t : targets) {
          // As at agent start: up on the first success, down after `fall` failures in a row.
          HealthCounter counter = new HealthCounter(service.probe().rise(), service.probe().fall());
          ProbeResult r;
          do {
            r = probe.check(t, Probes.timeout(service.probe(), counter.health() != Health.UNKNOWN)).toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
            counter.record(r.healthy());
          } while (counter.health() == Health.UNKNOWN);
          health.put(t, counter.health());
          System.out.printf("#   %-20s %-22s %s (%.1f ms)%n", t.node(), t.hostPort(),
              r.healthy() ? "up" : "down: " + r.detail(), r.latencyNanos() / 1e6);
        }
        ServerSet set = Decision.desired(targets, health::get, placement::get, service.whenEmpty(), null);
        System.out.println("# would write " + service.lb().file() + " (" + set.reason() + "):");
        System.out.println(LbWriters.preview(service, set));
        probe.close();
        if (write && Files.exists(service.lb().file())) {
          System.out.println("# left " + service.lb().file() + " as it is: it exists (--write makes only missing files;"
              + " the running agent keeps the ones there)");
        } else if (write) {
          String error = LbWriters.writeWithoutReload(service, set);
          if (error != null) {
            System.err.println("service " + service.name() + ": not written: " + error);
            return Main.EXIT_FAILURE;
          }
          System.out.println("# wrote " + service.lb().file() + " (no reload)");
        }
      }
      return 0;
    } finally {
      if (kubernetes != null) {
        kubernetes.close();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
