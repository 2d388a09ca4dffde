package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.render.NginxRenderer;
import dev.lbhealth.agent.render.Renderer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.List;

/**
 * Keeps a service's nginx upstream file in line with its server set. nginx OSS has no API, so
 * every change is validate ({@code nginx -t} on a scratch copy of the whole config with the new
 * file in it), atomic write and reload, on a worker; an unchanged file costs nothing.
 */
public final class NginxWriter implements LbWriter {
  private final Vertx vertx;
  private final ServiceConfig service;
  private final Renderer renderer;
  private final ReloadBudget budget;

  public NginxWriter(Vertx vertx, ServiceConfig service) {
    this(vertx, service, new NginxRenderer());
  }

  NginxWriter(Vertx vertx, ServiceConfig service, Renderer renderer) {
    this.vertx = vertx;
    this.service = service;
    this.renderer = renderer;
    this.budget = new ReloadBudget(service.lb().minReloadInterval());
  }

  @Override
  public String preview(ServerSet set) {
    return renderer.render(service, set);
  }

  @Override
  public long holdMillis() {
    return budget.holdMillis();
  }

  @Override
  public Future<ApplyResult> apply(ServerSet set) {
    return vertx.executeBlocking(() -> applyNow(set), false);
  }

  private ApplyResult applyNow(ServerSet set) {
    long start = System.nanoTime();
    String text = renderer.render(service, set);
    String onDisk;
    try {
      onDisk = AtomicFile.read(service.lb().file());
    } catch (IOException e) {
      return new ApplyResult(Outcome.FAILED, "none", System.nanoTime() - start,
          List.of("cannot read " + service.lb().file() + ": " + e.getMessage()));
    }
    if (text.equals(onDisk)) {
      return new ApplyResult(Outcome.UNCHANGED, "none", System.nanoTime() - start, List.of());
    }
    budget.spend();
    String error = LbFile.installAndReload(service.lb(), text, onDisk);
    return new ApplyResult(error == null ? Outcome.APPLIED : Outcome.FAILED, "reload", System.nanoTime() - start,
        error == null ? List.of() : List.of(error));
  }
}
