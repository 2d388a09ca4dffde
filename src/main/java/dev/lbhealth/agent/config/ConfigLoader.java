package dev.lbhealth.agent.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.lbhealth.agent.config.LbConfig.Kind;
import dev.lbhealth.agent.config.ProbeConfig.Type;
import dev.lbhealth.agent.config.ServiceConfig.Mode;
import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads the agent's YAML file into immutable records. Everything is validated before anything is
 * returned; every problem is reported at once, each naming its path and the bad value.
 */
public final class ConfigLoader {
  private static final YAMLMapper YAML =
      YAMLMapper.builder(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  /** A kubeconfig is a few KiB; a larger file is not one (and is not parsed). */
  private static final long MAX_KUBECONFIG = 1 << 20;

  private ConfigLoader() {}

  /** A config is a few KiB: a larger file is refused before it is read or parsed. */
  public static final long MAX_CONFIG_BYTES = 1 << 20;

  public static AgentConfig load(Path file) throws ConfigException {
    String text;
    try {
      long size = Files.size(file);
      if (size > MAX_CONFIG_BYTES) {
        throw new ConfigException(file.toString(), List.of("the file is " + size + " bytes; a config is at most 1 MiB"));
      }
      text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new ConfigException(file.toString(), List.of("the file is not UTF-8 text"));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new ConfigException(file.toString(), List.of("cannot read the file: it does not exist"));
    } catch (java.nio.file.AccessDeniedException e) {
      throw new ConfigException(file.toString(), List.of("cannot read the file: permission denied"));
    } catch (IOException e) {
      throw new ConfigException(file.toString(), List.of("cannot read the file: "
          + (e.getMessage() == null ? "read error" : e.getMessage())));
    }
    return parse(text, file.toString());
  }

  /** A parser's message on one line, without the Java names it may carry (e.g. "from `StreamReadConstraints...`"). */
  static String plainWords(String message) {
    return message.replaceAll(",? from `[^`]*`", "")
        .replaceAll("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*", "")
        .replaceAll("\\s+", " ").strip();
  }

  public static AgentConfig parse(String yaml, String source) throws ConfigException {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source, List.of("not valid YAML: " + Names.cut(plainWords(e.getOriginalMessage()))
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")")));
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException(source, List.of("the file must be a YAML mapping with a 'services' list"));
    }
    List<String> errors = new ArrayList<>();
    Section top = new Section(root, "", errors);
    top.rejectUnknown(Set.of("status", "kubernetes", "services"));
    StatusConfig status = status(top.section("status", false));
    Section kubeSection = top.section("kubernetes", false);
    KubernetesConfig kubernetes = kubeSection == null ? null : kubernetes(kubeSection);
    List<ServiceConfig> services = new ArrayList<>();
    List<Section> items = top.list("services");
    if (items.isEmpty() && top.has("services") && root.get("services").isArray()) {
      top.error("services", "must name at least one service");
    }
    for (Section s : items) {
      services.add(service(s));
    }
    checkUnique(services, errors);
    for (int i = 0; i < services.size(); i++) {
      if (services.get(i).kubernetes() != null && kubernetes == null && !top.has("kubernetes")) {
        errors.add("services[" + i + "].kubernetes: needs the top-level kubernetes section (kubeconfig, or server and token-file)");
      }
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(source, errors);
    }
    return new AgentConfig(status, kubernetes, services);
  }

  private static StatusConfig status(Section s) {
    if (s == null) {
      return new StatusConfig(StatusConfig.DEFAULT_HOST, StatusConfig.DEFAULT_PORT);
    }
    s.rejectUnknown(Set.of("host", "port", "token-file"));
    String host = s.string("host", StatusConfig.DEFAULT_HOST);
    if (!Names.isAddress(host)) {
      s.error("host", "'" + host + "' is not an IP address or host name");
    }
    int port = s.integer("port", StatusConfig.DEFAULT_PORT, 0, 65535);
    String tokenFile = s.string("token-file", null);
    if (tokenFile == null) {
      if (!StatusConfig.isLoopback(host)) {
        s.error("token-file", "is required when host is not a loopback address (" + host + ")");
      }
      return new StatusConfig(host, port);
    }
    Path path = Path.of(tokenFile);
    try {
      String token = Files.readString(path).strip();
      if (token.length() < 16 || token.chars().anyMatch(c -> c <= 0x20 || c > 0x7e)) {
        s.error("token-file", path + " must hold one token of at least 16 printable characters (e.g. openssl rand -hex 32)");
        return new StatusConfig(host, port);
      }
      return new StatusConfig(host, port, path, new StatusConfig.Secret(token));
    } catch (IOException e) {
      s.error("token-file", "cannot read " + path + ": " + e.getMessage());
      return new StatusConfig(host, port);
    }
  }

  private static ServiceConfig service(Section s) {
    s.rejectUnknown(Set.of("name", "port", "mode", "probe", "nodes", "when-empty", "coalesce", "lb", "kubernetes"));
    String name = s.requiredString("name");
    if (name != null && !Names.isName(name)) {
      s.error("name", "'" + name + "' is not a valid name (" + Names.NAME_RULE + ")");
    }
    int port = s.requiredInteger("port", 1, 65535);
    Mode mode = s.choice("mode", Mode.class, Mode.TCP);
    Section probeSection = s.section("probe", true);
    ProbeConfig probe = probeSection == null ? null : probe(probeSection);
    Section kubeSection = s.section("kubernetes", false);
    KubernetesTargets kubernetes = kubeSection == null ? null : kubernetesTargets(kubeSection);
    List<NodeConfig> nodes = nodes(s, kubeSection == null);
    WhenEmpty whenEmpty = s.choice("when-empty", WhenEmpty.class, WhenEmpty.ALL_NODES);

    Duration min = Duration.ofMillis(20);
    Duration max = null;
    Section coalesce = s.section("coalesce", false);
    if (coalesce != null) {
      coalesce.rejectUnknown(Set.of("min", "max"));
      min = coalesce.duration("min", min);
      max = coalesce.duration("max", null);
      if (max != null && max.compareTo(min) < 0) {
        coalesce.error("max", Durations.format(max) + " must not be shorter than min " + Durations.format(min));
      }
    }
    if (max == null) {
      max = min.multipliedBy(4); // consul-template's default: max = 4 x min
    }
    Section lbSection = s.section("lb", true);
    LbConfig lb = lbSection == null ? null : lb(lbSection, name);
    return new ServiceConfig(name, port, mode, probe, nodes, whenEmpty, min, max, lb, kubernetes);
  }

  private static ProbeConfig probe(Section s) {
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

  private static List<NodeConfig> nodes(Section s, boolean required) {
    List<NodeConfig> nodes = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    if (!required && !s.has("nodes")) {
      return nodes;
    }
    List<Section> items = s.list("nodes");
    if (items.isEmpty() && s.has("nodes")) {
      s.error("nodes", "must name at least one node");
    }
    for (int i = 0; i < items.size(); i++) {
      Section n = items.get(i);
      n.rejectUnknown(Set.of("name", "address"));
      String name = n.requiredString("name");
      String address = n.requiredString("address");
      if (name != null && !Names.isName(name)) {
        n.error("name", "'" + name + "' is not a valid name (" + Names.NAME_RULE + ")");
      } else if (name != null && seen.putIfAbsent(name, i) != null) {
        n.error("name", "'" + name + "' is already used by " + s.path("nodes") + "[" + seen.get(name) + "]");
      }
      if (address != null && !Names.isAddress(address)) {
        n.error("address", "'" + address + "' is not an IP address or host name");
      }
      nodes.add(new NodeConfig(name, address));
    }
    return nodes;
  }

  private static KubernetesConfig kubernetes(Section s) {
    s.rejectUnknown(Set.of("kubeconfig", "server", "token-file", "ca-file", "check-interval", "stale-after",
        "probes-decide-after", "allow-addresses"));
    Path kubeconfig = readableFile(s, "kubeconfig");
    if (kubeconfig != null && !isKubeconfig(kubeconfig)) {
      s.error("kubeconfig", kubeconfig + " is not a kubeconfig (a YAML file with clusters and users)");
      kubeconfig = null;
    }
    String server = s.string("server", null);
    Path token = readableFile(s, "token-file");
    Path ca = readableFile(s, "ca-file");
    if (!s.has("kubeconfig") && server == null) {
      s.error("kubeconfig", "give either kubeconfig, or server with token-file");
    } else if (s.has("kubeconfig") && server != null) {
      s.error("server", "give either kubeconfig or server, not both");
    }
    if (server != null && !server.matches("https?://[A-Za-z0-9.:\\[\\]-]+(:\\d{1,5})?/?")) {
      s.error("server", "'" + Names.cut(server) + "' must be a URL such as https://10.0.0.1:6443");
    }
    if (server != null && token == null && !s.has("token-file")) {
      s.error("token-file", "is required with server (the service account's token, see config/rbac.yaml)");
    }
    if (kubeconfig != null && (s.has("token-file") || s.has("ca-file"))) {
      s.error(s.has("token-file") ? "token-file" : "ca-file", "only applies with server (a kubeconfig holds its own)");
    }
    return new KubernetesConfig(kubeconfig, server, token, ca, freshness(s), allowAddresses(s));
  }

  private static KubernetesConfig.Freshness freshness(Section s) {
    KubernetesConfig.Freshness d = KubernetesConfig.Freshness.DEFAULT;
    Duration check = s.duration("check-interval", d.checkInterval());
    Duration stale = s.duration("stale-after", d.staleAfter());
    Duration decide = s.duration("probes-decide-after", d.probesDecideAfter());
    if (check.compareTo(Duration.ofMillis(100)) < 0) {
      s.error("check-interval", Durations.format(check) + " is too short (at least 100ms)");
    }
    if (stale.compareTo(check.multipliedBy(2)) < 0) {
      s.error("stale-after", Durations.format(stale) + " must be at least twice check-interval (" + Durations.format(check)
          + "): a read may take up to check-interval");
    }
    if (decide.compareTo(stale) < 0) {
      s.error("probes-decide-after", Durations.format(decide) + " must not be shorter than stale-after (" + Durations.format(stale) + ")");
    }
    return new KubernetesConfig.Freshness(check, stale, decide);
  }

  private static List<AddressRange> allowAddresses(Section s) {
    List<AddressRange> ranges = new ArrayList<>();
    List<String> texts = s.strings("allow-addresses");
    for (int i = 0; i < texts.size(); i++) {
      try {
        ranges.add(AddressRange.parse(texts.get(i)));
      } catch (IllegalArgumentException e) {
        s.error("allow-addresses[" + i + "]", e.getMessage());
      }
    }
    return ranges;
  }

  private static boolean isKubeconfig(Path file) {
    try {
      if (Files.size(file) > MAX_KUBECONFIG) {
        return false;
      }
      JsonNode tree = YAML.readTree(Files.readString(file));
      return tree != null && tree.has("clusters") && tree.has("users");
    } catch (IOException e) {
      return false;
    }
  }

  /** An absolute path to a readable file at key, or null (with an error if it is not one). */
  private static Path readableFile(Section s, String key) {
    String text = s.string(key, null);
    if (text == null) {
      return null;
    }
    Path path = Path.of(text);
    if (!path.isAbsolute()) {
      s.error(key, "'" + Names.cut(text) + "' must be an absolute path");
      return null;
    }
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      s.error(key, path + " is not a readable file");
      return null;
    }
    return path;
  }

  private static KubernetesTargets kubernetesTargets(Section s) {
    s.rejectUnknown(Set.of("namespace", "selector", "address"));
    String namespace = s.string("namespace", "default");
    if (!namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      s.error("namespace", "'" + Names.cut(namespace) + "' is not a Kubernetes namespace name (lower-case letters, digits, '-')");
    }
    String selector = s.requiredString("selector");
    if (selector != null && (selector.isBlank() || selector.length() > 1024 || !selector.matches("[\\x20-\\x7e]+"))) {
      s.error("selector", "'" + Names.cut(selector) + "' must be a label selector such as name=hc-rsyncer-app");
    }
    String address = s.string("address", "InternalIP");
    if (!KubernetesTargets.ADDRESS_TYPES.contains(address)) {
      s.error("address", "'" + Names.cut(address) + "' is not one of " + String.join(", ", KubernetesTargets.ADDRESS_TYPES.stream().sorted().toList()));
    }
    return new KubernetesTargets(namespace, selector, address);
  }

  private static LbConfig lb(Section s, String serviceName) {
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

  private static void checkUnique(List<ServiceConfig> services, List<String> errors) {
    Map<String, Integer> names = new HashMap<>();
    Map<Path, Integer> files = new HashMap<>();
    Map<String, Integer> upstreams = new HashMap<>();
    for (int i = 0; i < services.size(); i++) {
      ServiceConfig s = services.get(i);
      if (s.name() != null && names.putIfAbsent(s.name(), i) != null) {
        errors.add("services[" + i + "].name: '" + s.name() + "' is already used by services[" + names.get(s.name()) + "]");
      }
      if (s.lb() == null) {
        continue;
      }
      if (s.lb().file() != null && files.putIfAbsent(s.lb().file(), i) != null) {
        errors.add("services[" + i + "].lb.file: " + s.lb().file() + " is already written by services[" + files.get(s.lb().file()) + "]");
      }
      String key = s.lb().kind() + "/" + s.lb().upstream();
      if (s.lb().upstream() != null && upstreams.putIfAbsent(key, i) != null) {
        errors.add("services[" + i + "].lb.upstream: '" + s.lb().upstream() + "' is already used by services[" + upstreams.get(key) + "]");
      }
    }
  }
}
