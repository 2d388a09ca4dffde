package dev.lbhealth.agent.config;

import dev.lbhealth.agent.config.LbConfig.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** A service's load balancer ({@code services[].lb}), read and checked. */
final class LbReader {
  private LbReader() {}

  static LbConfig lb(Section s, String serviceName) {
    s.rejectUnknown(Set.of("kind", "file", "upstream", "validate", "config-root", "reload", "command-timeout",
        "runtime-api", "listen", "drain-timeout", "drift-check", "on-drift", "min-reload-interval",
        "max-draining-workers"));
    Kind kind = s.choice("kind", Kind.class, Kind.HAPROXY);
    String fileText = s.requiredString("file");
    Path file = null;
    if (fileText != null) {
      file = Path.of(fileText);
      if (!file.isAbsolute()) {
        s.error("file", "'" + fileText + "' must be an absolute path");
      } else if (Files.isDirectory(file)) {
        s.error("file", file + " is a directory; name the file the agent owns in it, e.g. " + file.resolve("rsync-ssh.cfg"));
      } else if (file.getParent() == null || !Files.isDirectory(file.getParent())) {
        s.error("file", "directory " + file.getParent() + " does not exist");
      }
    }
    String upstream = s.string("upstream", serviceName);
    if (upstream != null && s.has("upstream") && !Names.isName(upstream)) {
      s.error("upstream", "'" + upstream + "' is not a valid name (" + Names.NAME_RULE + ")");
    }
    String validate = s.string("validate", kind == Kind.HAPROXY
        ? "haproxy -c -f /etc/haproxy/haproxy.cfg -f {dir}"
        : "nginx -t -q -c {root}/nginx.conf");
    Path root = Path.of(s.string("config-root", kind == Kind.HAPROXY ? "/etc/haproxy" : "/etc/nginx"));
    if (!root.isAbsolute()) {
      s.error("config-root", "'" + root + "' must be an absolute path");
    } else if (validate != null && validate.contains("{root}") && file != null && file.isAbsolute()
        && !file.normalize().startsWith(root.normalize())) {
      s.error("file", file + " must be inside config-root " + root + " for a validate command with {root}");
    }
    // reload-or-restart: an LB that is down (it could not start before the agent's file existed)
    // is started once the file is valid; a running one is reloaded.
    String reload = s.string("reload", kind == Kind.HAPROXY ? "systemctl reload-or-restart haproxy" : "systemctl reload-or-restart nginx");
    Duration timeout = s.duration("command-timeout", Duration.ofSeconds(10));
    String runtimeApi = s.string("runtime-api", null);
    if (runtimeApi != null && kind != Kind.HAPROXY) {
      s.error("runtime-api", "only applies to kind haproxy");
    } else if (runtimeApi != null && !runtimeApi.startsWith("/") && !runtimeApi.matches("[^:]+:\\d{1,5}")) {
      s.error("runtime-api", "'" + runtimeApi + "' must be a socket path or host:port");
    }
    String listen = s.string("listen", null);
    if (listen != null && kind != Kind.NGINX) {
      s.error("listen", "only applies to kind nginx (HAProxy frontends stay in haproxy.cfg)");
    } else if (listen != null && !isListen(listen)) {
      s.error("listen", "'" + listen + "' must be a port or address:port, e.g. 9890 or 0.0.0.0:9890");
    }
    Duration drainTimeout = s.duration("drain-timeout", LbConfig.DEFAULT_DRAIN_TIMEOUT);
    Duration driftCheck = s.duration("drift-check", LbConfig.DEFAULT_DRIFT_CHECK);
    LbConfig.OnDrift onDrift = s.choice("on-drift", LbConfig.OnDrift.class, LbConfig.OnDrift.CORRECT);
    for (String key : List.of("drain-timeout", "drift-check", "on-drift")) {
      // nginx: drift-check is how often its master process is looked for.
      if (s.has(key) && runtimeApi == null && !(key.equals("drift-check") && kind == Kind.NGINX)) {
        s.error(key, "only applies with runtime-api (HAProxy's Runtime API)" + (key.equals("drift-check") ? " or kind nginx" : ""));
      }
    }
    if (driftCheck.toMillis() < 100) {
      s.error("drift-check", Durations.format(driftCheck) + " is too short (at least 100ms)");
    }
    Duration minReload = s.duration("min-reload-interval", LbConfig.DEFAULT_MIN_RELOAD_INTERVAL);
    if (minReload.compareTo(Duration.ofMinutes(10)) > 0) {
      s.error("min-reload-interval", Durations.format(minReload) + " is too long (at most 10m: changes would wait that long)");
    }
    int maxDraining = s.integer("max-draining-workers", LbConfig.DEFAULT_MAX_DRAINING_WORKERS, 1, 1000);
    if (s.has("max-draining-workers") && kind != Kind.NGINX) {
      s.error("max-draining-workers", "only applies to kind nginx");
    }
    return new LbConfig(kind, file, upstream, validate, root, reload, timeout, runtimeApi, listen,
        drainTimeout, driftCheck, onDrift, minReload, maxDraining);
  }

  private static boolean isListen(String listen) {
    int colon = listen.lastIndexOf(':');
    String port = colon < 0 ? listen : listen.substring(colon + 1);
    String host = colon < 0 ? null : listen.substring(0, colon);
    if (host != null && host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return port.matches("\\d{1,5}") && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535
        && (host == null || Names.isAddress(host));
  }
}
