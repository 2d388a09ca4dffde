package dev.lbhealth.agent.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** The status records as JSON: one mapper, which is thread-safe once made. */
public final class StatusJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private StatusJson() {}

  public static Buffer encode(Object status) {
    try {
      return Buffer.buffer(MAPPER.writeValueAsBytes(status));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("status record not encodable: " + e.getMessage(), e);
    }
  }

  /**
   * Encodes one of each record, so that Jackson's serializers are loaded (some 0.3 s with the
   * unit's options, once): called on a worker when the first client follows /events, it spares
   * the agent's loop that pause at the first event. Returns null.
   */
  public static Void warmUp() {
    NodeStatus node = new NodeStatus("n", "127.0.0.1:1", "up", false, "ready", null, true, 1, 0, null, 1L,
        new NodeStatus.LastProbe("t", true, 0.1, "ok"));
    encode(new StatusDocument(new AgentSection("v", "t", "c", java.util.List.of(), java.util.List.of(),
        ConfigReload.applied("t", java.util.List.of())), java.util.List.of(new StatusDocument.Service("s",
        new ServiceStatus("s", 1, "tcp", new ServiceStatus.Lb("haproxy", "f", "u", true, 0, 1), java.util.List.of(node), null,
            java.util.List.of(), false, new ServiceStatus.Discovery("d", null, true, 0.1),
            new ServiceStatus.ServerSetShown(java.util.List.of(), java.util.List.of(), "r", false),
            new ServiceStatus.LastApply("t", "applied", "m", 0.1, 0.1, java.util.List.of()),
            new ServiceStatus.FileWritten("t", "applied", 0.1, null), new ServiceStatus.Drift("t", java.util.List.of(), true))))).whole());
    object(node);
    return null;
  }

  /** As a Vert.x object, for what goes on the event bus and for tests. */
  public static JsonObject object(Object status) {
    return new JsonObject(encode(status));
  }
}
