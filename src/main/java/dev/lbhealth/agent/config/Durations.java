package dev.lbhealth.agent.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written as {@code 250ms}, {@code 1.5s}, {@code 2m}, {@code 1h}. */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,12}(?:\\.\\d{1,9})?)(ms|s|m|h)");
  /** No duration the agent takes is longer: a longer one is a typo (or a node never probed again). */
  public static final Duration MAX = Duration.ofHours(24);

  private Durations() {}

  /** Returns the duration, or throws IllegalArgumentException saying what is valid. */
  public static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text.trim() + "' is not a duration (write e.g. 250ms, 1.5s, 2m, 1h; at most 24h)");
    }
    double value = Double.parseDouble(m.group(1));
    double millis =
        switch (m.group(2)) {
          case "ms" -> value;
          case "s" -> value * 1_000;
          case "m" -> value * 60_000;
          default -> value * 3_600_000;
        };
    if (millis > MAX.toMillis()) {
      throw new IllegalArgumentException("'" + text.trim() + "' is too long (at most 24h)");
    }
    return Duration.ofNanos(Math.round(millis * 1_000_000));
  }

  /** Formats a duration the way {@link #parse} reads it. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0 || ms == 0) {
      return ms + "ms";
    }
    return (ms / 1000) + "s";
  }
}
