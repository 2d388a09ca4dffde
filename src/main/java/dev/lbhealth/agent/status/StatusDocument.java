package dev.lbhealth.agent.status;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A published /status: the agent section (small) and each service
 * already encoded as JSON. A service is encoded once per change (not per request, not per tick),
 * and held as bytes: at 10,000 targets some 3.5 MB instead of a 12 MB tree of JSON objects.
 * Immutable once published.
 *
 * @param agent the agent section
 * @param services each service's JSON, in config order
 */
public record StatusDocument(AgentSection agent, List<Service> services) {
  /** One service's name and its encoded JSON object. */
  public record Service(String name, Buffer json) {}

  private static final byte[] SERVICES = ",\"services\":[".getBytes(StandardCharsets.US_ASCII);

  public static StatusDocument empty() {
    return new StatusDocument(new AgentSection(null, null, List.of("starting"), List.of(), null), List.of());
  }

  /** The whole document: {@code {"agent": {...}, "services": [...]}}. */
  public Buffer whole() {
    return document(services);
  }

  /** The agent section and the one service of that name, or null if there is none. */
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
    Buffer agentJson = StatusJson.encode(agent);
    int length = 12 + agentJson.length() + SERVICES.length + 2;
    for (Service s : chosen) {
      length += s.json().length() + 1;
    }
    Buffer out = Buffer.buffer(length);
    out.appendString("{\"agent\":").appendBuffer(agentJson).appendBytes(SERVICES);
    for (int i = 0; i < chosen.size(); i++) {
      if (i > 0) {
        out.appendByte((byte) ',');
      }
      out.appendBuffer(chosen.get(i).json());
    }
    return out.appendString("]}");
  }
}
