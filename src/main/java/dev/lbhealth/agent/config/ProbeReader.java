package dev.lbhealth.agent.config;

import dev.lbhealth.agent.config.ProbeConfig.Type;
import java.time.Duration;
import java.util.Set;

/** How a service's nodes are probed ({@code services[].probe}), read and checked. */
final class ProbeReader {
  private ProbeReader() {}

  static ProbeConfig probe(Section s) {
    s.rejectUnknown(Set.of("type", "interval", "timeout", "rise", "fall", "jitter", "expect", "path", "status", "damping",
        "fast-interval"));
    Type type = s.choice("type", Type.class, Type.TCP);
    Duration interval = s.duration("interval", Duration.ofSeconds(1));
    Duration timeout = s.duration("timeout", null);
    if (timeout == null) {
      timeout = interval.dividedBy(2);
    }
    if (interval.toMillis() < 10) {
      s.error("interval", Durations.format(interval) + " is too short (at least 10ms)");
    }
    if (timeout.toMillis() < 1) {
      s.error("timeout", Durations.format(timeout) + " is too short (at least 1ms)");
    } else if (timeout.compareTo(interval) >= 0) {
      s.error("timeout", Durations.format(timeout) + " must be shorter than interval " + Durations.format(interval));
    }
    int rise = s.integer("rise", 2, 1, 100);
    int fall = s.integer("fall", 2, 1, 100);
    double jitter = s.decimal("jitter", 0.1, 0, 0.5);
    String expect = s.string("expect", null);
    String path = s.string("path", null);
    int status = s.integer("status", 200, 100, 599);
    if (type == Type.BANNER) {
      if (expect == null || expect.isEmpty()) {
        s.error("expect", "is required for a banner probe (e.g. SSH-2.0-)");
      } else if (expect.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
        s.error("expect", "'" + expect + "' must be printable ASCII on one line");
      }
    } else if (expect != null) {
      s.error("expect", "only applies to type banner");
    }
    if (type == Type.HTTP) {
      path = path == null ? "/" : path;
      if (!path.matches("/[\\x21-\\x7e]*")) {
        s.error("path", "'" + path + "' must start with / and contain no spaces or control characters");
      }
    } else {
      if (path != null) {
        s.error("path", "only applies to type http");
      }
      if (s.has("status")) {
        s.error("status", "only applies to type http");
      }
    }
    Duration fast = s.duration("fast-interval", null);
    if (fast == null) {
      fast = Duration.ofMillis(Math.max(10, interval.toMillis() / 4));
    } else if (fast.toMillis() < 10) {
      s.error("fast-interval", Durations.format(fast) + " is too short (at least 10ms)");
    } else if (fast.compareTo(interval) > 0) {
      s.error("fast-interval", Durations.format(fast) + " must not be longer than interval " + Durations.format(interval));
    }
    return new ProbeConfig(type, interval, timeout, rise, fall, jitter, expect, path, status, damping(s), fast);
  }

  /** {@code damping: false} (or {@code off}) turns flap damping off; a mapping sets its parameters. */
  private static DampingConfig damping(Section probe) {
    if (probe.isOff("damping")) {
      return DampingConfig.OFF;
    }
    Section s = probe.section("damping", false);
    if (s == null) {
      return DampingConfig.DEFAULT;
    }
    s.rejectUnknown(Set.of("half-life", "suppress", "reuse", "max-hold"));
    DampingConfig d = DampingConfig.DEFAULT;
    Duration halfLife = s.duration("half-life", d.halfLife());
    double suppress = s.decimal("suppress", d.suppress(), 1, 1000);
    double reuse = s.decimal("reuse", d.reuse(), 0.01, 1000);
    Duration maxHold = s.duration("max-hold", d.maxHold());
    if (halfLife.toMillis() < 100) {
      s.error("half-life", Durations.format(halfLife) + " is too short (at least 100ms)");
      return d;
    }
    if (reuse >= suppress) {
      s.error("reuse", reuse + " must be below suppress " + suppress);
      return d;
    }
    DampingConfig settings = new DampingConfig(halfLife, suppress, reuse, maxHold);
    if (settings.ceiling() <= suppress) {
      s.error("max-hold", Durations.format(maxHold) + " is too short to ever damp: a penalty decays from suppress "
          + suppress + " to reuse " + reuse + " in " + Durations.format(Duration.ofMillis(
              (long) Math.ceil(halfLife.toMillis() * Math.log(suppress / reuse) / Math.log(2)))));
    }
    return settings;
  }
}
