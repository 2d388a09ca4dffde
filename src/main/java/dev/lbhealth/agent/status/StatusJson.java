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

  /** As a Vert.x object, for what goes on the event bus and for tests. */
  public static JsonObject object(Object status) {
    return new JsonObject(encode(status));
  }
}
