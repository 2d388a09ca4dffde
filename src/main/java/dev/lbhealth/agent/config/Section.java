package dev.lbhealth.agent.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * A mapping in the YAML tree, with its path, that reads typed values and records every problem
 * (path, bad value, what is valid) instead of stopping at the first.
 */
final class Section {
  private final JsonNode node;
  private final String path;
  private final List<String> errors;

  Section(JsonNode node, String path, List<String> errors) {
    this.node = node;
    this.path = path;
    this.errors = errors;
  }

  String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  void error(String key, String message) {
    errors.add(path(key) + ": " + LONG_QUOTED.matcher(message).replaceAll(m -> "'" + java.util.regex.Matcher.quoteReplacement(
        Names.cut(m.group(1))) + "'").transform(Section::visible));
  }

  /** Control characters of a quoted value shown escaped, so an error is one line and cannot forge log lines. */
  private static String visible(String message) {
    StringBuilder b = new StringBuilder(message.length());
    message.chars().forEach(c -> {
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\x%02x", c));
          } else {
            b.append((char) c);
          }
        }
      }
    });
    return b.toString();
  }

  /** A quoted value longer than 80 characters: cut in messages, so a 10 KB name is not echoed whole. */
  private static final java.util.regex.Pattern LONG_QUOTED = java.util.regex.Pattern.compile("'([^']{81,})'");

  /** Whether the value at key is {@code false} or {@code off}: a feature turned off. */
  boolean isOff(String key) {
    JsonNode child = node.get(key);
    return child != null && ((child.isBoolean() && !child.booleanValue()) || "off".equals(child.asText(null)));
  }

  boolean has(String key) {
    return node.hasNonNull(key);
  }

  /** Reports every key that is not one of {@code known}. */
  void rejectUnknown(Set<String> known) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        error(key, "unknown key (valid here: " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
  }

  /** The nested mapping at key, or null (with an error if it is present but not a mapping). */
  Section section(String key, boolean required) {
    JsonNode child = node.get(key);
    if (child == null || child.isNull()) {
      if (required) {
        error(key, "is required");
      }
      return null;
    }
    if (!child.isObject()) {
      error(key, "must be a mapping of keys to values");
      return null;
    }
    return new Section(child, path(key), errors);
  }

  /** The mappings in the list at key; an absent or non-list value is an error. */
  List<Section> list(String key) {
    JsonNode child = node.get(key);
    List<Section> items = new ArrayList<>();
    if (child == null || child.isNull()) {
      error(key, "is required");
      return items;
    }
    if (!child.isArray()) {
      error(key, "must be a list");
      return items;
    }
    for (int i = 0; i < child.size(); i++) {
      String itemPath = path(key) + "[" + i + "]";
      if (child.get(i).isObject()) {
        items.add(new Section(child.get(i), itemPath, errors));
      } else {
        errors.add(itemPath + ": must be a mapping of keys to values");
      }
    }
    return items;
  }

  /** A list of texts at key, empty when absent; each item's path in the error when one is not text. */
  List<String> strings(String key) {
    JsonNode child = node.get(key);
    List<String> items = new ArrayList<>();
    if (child == null || child.isNull()) {
      return items;
    }
    if (!child.isArray()) {
      error(key, "must be a list");
      return items;
    }
    for (int i = 0; i < child.size(); i++) {
      JsonNode v = child.get(i);
      if (!v.isValueNode() || v.isBoolean() || v.isNull()) {
        errors.add(path(key) + "[" + i + "]: must be text, got " + v);
      } else {
        items.add(v.asText());
      }
    }
    return items;
  }

  String string(String key, String fallback) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isValueNode() || v.isBoolean()) {
      error(key, "must be text, got " + v);
      return fallback;
    }
    return v.asText();
  }

  String requiredString(String key) {
    String v = string(key, null);
    if (v == null && !has(key)) {
      error(key, "is required");
    } else if (v != null && v.isBlank()) {
      error(key, "must not be empty");
      return null;
    }
    return v;
  }

  int integer(String key, int fallback, int min, int max) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
      error(key, v + " must be a whole number from " + min + " to " + max);
      return fallback;
    }
    return v.asInt();
  }

  int requiredInteger(String key, int min, int max) {
    if (!has(key)) {
      error(key, "is required");
      return min;
    }
    return integer(key, min, min, max);
  }

  double decimal(String key, double fallback, double min, double max) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
      error(key, v + " must be a number from " + min + " to " + max);
      return fallback;
    }
    return v.asDouble();
  }

  Duration duration(String key, Duration fallback) {
    String text = string(key, null);
    if (text == null) {
      return fallback;
    }
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      error(key, e.getMessage());
      return fallback;
    }
  }

  /** An enum constant written in lower case with dashes, e.g. {@code all-nodes}. */
  <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) {
    String text = string(key, null);
    if (text == null) {
      return fallback;
    }
    Function<E, String> spelling = e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    for (E e : type.getEnumConstants()) {
      if (spelling.apply(e).equals(text)) {
        return e;
      }
    }
    List<String> valid = java.util.Arrays.stream(type.getEnumConstants()).map(spelling).toList();
    error(key, "'" + text + "' is not one of " + String.join(", ", valid));
    return fallback;
  }
}
