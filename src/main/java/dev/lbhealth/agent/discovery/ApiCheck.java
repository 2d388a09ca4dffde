package dev.lbhealth.agent.discovery;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.lbhealth.agent.config.Names;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * What the Kubernetes API's answers mean for the agent's view, in words an operator can act on:
 * whether a fresh read shows the cache behind, and what a failure was (forbidden, with the verb
 * and the resource; unauthorized; expired; no answer). Pure.
 */
final class ApiCheck {
  /** At most this many refused nodes are named in one line; the rest are counted. */
  static final int MAX_NAMED = 5;

  private ApiCheck() {}

  /**
   * What a list answered: its resource version and each item's {@code namespace/name} with its
   * resource version.
   */
  record Listed(String resourceVersion, Map<String, String> items) {}

  private static final JsonFactory JSON = new JsonFactory();

  /**
   * The items' metadata of a list as the API answers it (a {@code PartialObjectMetadataList}, or
   * a whole {@code PodList} from an API that does not do metadata only), read as a stream: the
   * rest of each object is skipped, never built.
   */
  static Listed listed(String body) throws IOException {
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a JSON object");
      }
      String version = null;
      Map<String, String> items = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("metadata") && value == JsonToken.START_OBJECT) {
          version = metadata(p)[2];
        } else if (field.equals("items") && value == JsonToken.START_ARRAY) {
          items = new HashMap<>();
          while (p.nextToken() == JsonToken.START_OBJECT) {
            String[] meta = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String f = p.currentName();
              JsonToken v = p.nextToken();
              if (f.equals("metadata") && v == JsonToken.START_OBJECT) {
                meta = metadata(p);
              } else {
                p.skipChildren();
              }
            }
            if (meta == null || meta[1] == null) {
              throw new IOException("an item without a name");
            }
            items.put(meta[0] + "/" + meta[1], meta[2]);
          }
        } else {
          p.skipChildren();
        }
      }
      if (items == null) {
        throw new IOException("no items");
      }
      return new Listed(version, items);
    }
  }

  /** namespace, name and resourceVersion of the metadata object the parser is in (it leaves it). */
  private static String[] metadata(JsonParser p) throws IOException {
    String[] out = new String[3];
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken v = p.nextToken();
      switch (f) {
        case "namespace" -> out[0] = p.getValueAsString();
        case "name" -> out[1] = p.getValueAsString();
        case "resourceVersion" -> out[2] = p.getValueAsString();
        default -> p.skipChildren();
      }
    }
    return out;
  }

  /**
   * Why the cached pods are behind a fresh list of them, or null when the cache holds every
   * listed pod at the listed version or a newer one, and nothing the list says was gone before it.
   * Resource versions are compared as numbers when they are (etcd's revisions), else as text.
   */
  static String behind(Listed listed, List<? extends HasMetadata> cached) {
    Map<String, String> cache = new HashMap<>();
    cached.forEach(p -> cache.put(key(p), p.getMetadata().getResourceVersion()));
    for (Map.Entry<String, String> item : listed.items().entrySet()) {
      String have = cache.remove(item.getKey());
      String want = item.getValue();
      if (have == null) {
        return "behind the API (pod " + item.getKey() + " not seen)";
      }
      if (want != null && older(have, want)) {
        return "behind the API (pod " + item.getKey() + " seen at version " + have + ", the API has " + want + ")";
      }
    }
    String listVersion = listed.resourceVersion();
    for (Map.Entry<String, String> left : cache.entrySet()) {
      // A pod the list lacks: gone before the list, unless the cache saw it made after.
      if (listVersion == null || !older(listVersion, left.getValue())) {
        return "behind the API (pod " + left.getKey() + " is gone)";
      }
    }
    return null;
  }

  private static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  /** Whether version {@code a} is older than {@code b}. */
  private static boolean older(String a, String b) {
    try {
      return Long.parseLong(a) < Long.parseLong(b);
    } catch (NumberFormatException e) {
      return !a.equals(b);
    }
  }

  /** A failed list or watch, in a line: e.g. "forbidden: cannot watch pods in namespace default (HTTP 403 ...)". */
  static String describe(Throwable failure, String verb, String resource, String where) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        return describe(k.getCode(), k.getStatus() == null ? null : k.getStatus().getMessage(), verb, resource, where);
      }
    }
    if (t instanceof TimeoutException) {
      return "no answer in time to a " + verb + " of " + resource + where;
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ConnectException) {
        return "cannot connect to " + verb + " " + resource + ": " + firstLine(c);
      }
    }
    return verb + " of " + resource + where + " failed: " + firstLine(t);
  }

  /** An HTTP answer other than 2xx to a list or watch. */
  static String describe(int code, String message, String verb, String resource, String where) {
    String said = message == null || message.isBlank() ? "" : ": " + Names.cut(message.strip().lines().findFirst().orElse(""));
    return switch (code) {
      case 403 -> "forbidden: cannot " + verb + " " + resource + where + " (HTTP 403" + said
          + "; the agent's account needs get, list and watch on pods and nodes, see config/rbac.yaml)";
      case 401 -> "unauthorized: the API refused the agent's credentials to " + verb + " " + resource + " (HTTP 401" + said + ")";
      case 410 -> "the " + verb + " of " + resource + where + " expired (HTTP 410 Gone" + said + "); listing afresh";
      default -> "HTTP " + code + " to a " + verb + " of " + resource + where + said;
    };
  }

  /** A throwable's type and the first line of its message, never its stack. */
  static String firstLine(Throwable t) {
    String m = t.getMessage() == null ? "" : t.getMessage().strip().lines().findFirst().orElse("");
    return Names.cut(t.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + m));
  }

  /** Lines joined with "; ", the first {@link #MAX_NAMED} of them, then how many more: a bounded log line. */
  static String bounded(List<String> lines) {
    String shown = String.join("; ", lines.subList(0, Math.min(MAX_NAMED, lines.size())));
    return lines.size() <= MAX_NAMED ? shown : shown + "; and " + (lines.size() - MAX_NAMED) + " more";
  }
}
