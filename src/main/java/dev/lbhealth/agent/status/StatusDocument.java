package dev.lbhealth.agent.status;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A published /status: the agent section and each service, as records. Made on the agent's
 * context once per change (records only: nothing is encoded there), encoded by the listener on a
 * worker (at 10,000 targets some 3.5 MB of JSON). Immutable once published.
 *
 * @param agent the agent section
 * @param services each service, in config order
 */
public record StatusDocument(AgentSection agent, List<Service> services) {
  /** One service's name and its status. */
  public record Service(String name, ServiceStatus status) {}

  private static final byte[] SERVICES = ",\"services\":[".getBytes(StandardCharsets.US_ASCII);

  public static StatusDocument empty() {
    return new StatusDocument(new AgentSection(null, null, null, List.of("starting"), List.of(), null), List.of());
  }

  /** The whole document: {@code {"agent": {...}, "services": [...]}}. Encodes: call on a worker. */
  public Buffer whole() {
    return document(services);
  }

  /** The agent section and the one service of that name, or null if there is none. Encodes: call on a worker. */
  public Buffer service(String name) {
    for (Service s : services) {
      if (s.name().equals(name)) {
        return document(List.of(s));
      }
    }
    return null;
  }

  /** The whole document as JSON objects (for tests and tools, not for serving). */
  public JsonObject json() {
    return new JsonObject(whole());
  }

  private Buffer document(List<Service> chosen) {
    Buffer out = Buffer.buffer(256 + chosen.size() * 4096);
    out.appendString("{\"agent\":").appendBuffer(StatusJson.encode(agent)).appendBytes(SERVICES);
    for (int i = 0; i < chosen.size(); i++) {
      if (i > 0) {
        out.appendByte((byte) ',');
      }
      out.appendBuffer(StatusJson.encode(chosen.get(i).status()));
    }
    return out.appendString("]}");
  }
}
