package dev.lbhealth.agent.events;

import dev.lbhealth.agent.apply.ApplyResult;
import dev.lbhealth.agent.apply.FileWrite;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.Target;
import dev.lbhealth.agent.health.Health;
import dev.lbhealth.agent.probe.ProbeResult;
import dev.lbhealth.agent.status.NodeStatus;
import dev.lbhealth.agent.status.ServiceStatus;
import dev.lbhealth.agent.status.StatusJson;
import dev.lbhealth.agent.status.StatusServer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * /events as a listener: health changes, applies, file writes, drift and removed servers as JSON
 * on the event bus ({@link StatusServer#EVENTS}), which the status listener streams to its clients.
 * Only while someone follows: an agent nobody follows builds no event (the first JSON encoding
 * of a status record loads Jackson's serializers, some 0.3 s of the loop with the unit's options).
 */
public final class EventStream implements EventListener {
  private final EventBus bus;
  private final BooleanSupplier followed;

  /** @param followed whether someone follows the events (an /events client, or code in the same JVM) */
  public EventStream(EventBus bus, BooleanSupplier followed) {
    this.bus = bus;
    this.followed = followed;
  }

  @Override
  public void healthChanged(Target target, Health before, Health now, ProbeResult result, Supplier<NodeStatus> node) {
    if (followed.getAsBoolean()) {
      publish(event("health", target.service()).put("node", StatusJson.object(node.get())));
    }
  }

  @Override
  public void applied(String service, ServerSet set, ApplyResult result, Supplier<ServiceStatus> status) {
    if (followed.getAsBoolean()) {
      publish(event("apply", service).put("service", StatusJson.object(status.get())));
    }
  }

  @Override
  public void fileWritten(String service, FileWrite write, ServiceStatus.FileWritten shown) {
    if (followed.getAsBoolean()) {
      publish(event("file", service).put("file", StatusJson.object(shown)));
    }
  }

  @Override
  public void drift(String service, ServiceStatus.Drift drift) {
    if (followed.getAsBoolean()) {
      publish(event("drift", service).put("drift", StatusJson.object(drift)));
    }
  }

  @Override
  public void serverRemoved(String service, String server, boolean atDrainTimeout) {
    if (followed.getAsBoolean()) {
      publish(event("removed", service).put("server", server).put("atDrainTimeout", atDrainTimeout));
    }
  }

  private static JsonObject event(String type, String service) {
    return new JsonObject().put("type", type).put("service", service);
  }

  private void publish(JsonObject event) {
    bus.publish(StatusServer.EVENTS, event);
  }
}
