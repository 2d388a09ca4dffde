package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.apply.ApplyResult.Outcome;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.render.HaproxyRenderer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a service's HAProxy backend file in line with its server set. When only servers' states
 * change and a Runtime API socket is configured, the running HAProxy is switched over the socket
 * (no reload: long-lived connections stay on their worker) and the file is then rewritten for the
 * next restart. Anything else (first write, a node added or moved, the socket failing) goes
 * through validate, atomic write and the reload command.
 */
public final class HaproxyFileWriter implements LbWriter {
  private static final Logger LOG = LoggerFactory.getLogger(HaproxyFileWriter.class);

  private final ServiceConfig service;
  private final HaproxyRenderer renderer = new HaproxyRenderer();
  private final HaproxyRuntimeApi runtime;
  /** Whether the running HAProxy is known to hold the states in the file. */
  private boolean runtimeInSync;

  public HaproxyFileWriter(ServiceConfig service) {
    this.service = service;
    this.runtime = service.lb().runtimeApi() == null ? null : new HaproxyRuntimeApi(service.lb().runtimeApi(), service.lb().commandTimeout());
    this.runtimeInSync = runtime == null;
  }

  @Override
  public String preview(ServerSet set) {
    return renderer.render(service, set);
  }

  @Override
  public ApplyResult apply(ServerSet set) {
    long start = System.nanoTime();
    List<String> errors = new ArrayList<>();
    String text = renderer.render(service, set);
    String onDisk;
    try {
      onDisk = AtomicFile.read(service.lb().file());
    } catch (IOException e) {
      errors.add("cannot read " + service.lb().file() + ": " + e.getMessage());
      return new ApplyResult(Outcome.FAILED, "none", System.nanoTime() - start, errors);
    }
    if (text.equals(onDisk) && runtimeInSync) {
      return new ApplyResult(Outcome.UNCHANGED, "none", System.nanoTime() - start, errors);
    }
    if (runtime != null && onDisk != null && withoutStates(onDisk).equals(withoutStates(text))) {
      try {
        runtime.setStates(service.lb().upstream(), set);
        runtimeInSync = true;
        if (!text.equals(onDisk)) {
          persist(text, errors);
        }
        Outcome outcome = errors.isEmpty() ? Outcome.APPLIED : Outcome.FAILED;
        return new ApplyResult(outcome, "runtime-api", System.nanoTime() - start, errors);
      } catch (IOException e) {
        errors.add(e.getMessage() + "; falling back to a reload");
        LOG.warn("service {}: {}; falling back to a reload", service.name(), e.getMessage());
      }
    }
    String error = LbFile.installAndReload(service.lb(), text, onDisk);
    if (error != null) {
      errors.add(error);
      return new ApplyResult(Outcome.FAILED, "reload", System.nanoTime() - start, errors);
    }
    runtimeInSync = true;
    return new ApplyResult(Outcome.APPLIED, "reload", System.nanoTime() - start, errors);
  }

  /** Writes the file that HAProxy already runs (over the socket) so a restart keeps it. */
  private void persist(String text, List<String> errors) {
    String error = LbFile.validate(service.lb(), text);
    if (error == null) {
      try {
        AtomicFile.write(service.lb().file(), text);
      } catch (IOException e) {
        error = "cannot write " + service.lb().file() + ": " + e.getMessage();
      }
    }
    if (error != null) {
      errors.add("HAProxy switched over the runtime API, but the file was not updated: " + error);
    }
  }

  /** The file with server states taken out: equal means the Runtime API can make the change. */
  private static String withoutStates(String text) {
    return text.replace(" disabled\n", "\n");
  }
}
