package dev.lbhealth.agent.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
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
  static final YAMLMapper YAML =
      YAMLMapper.builder(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

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
    KubernetesConfig kubernetes = kubeSection == null ? null : KubernetesReader.kubernetes(kubeSection);
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
    return new AgentConfig(status, kubernetes, services, AgentConfig.sha256(yaml));
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
    ProbeConfig probe = probeSection == null ? null : ProbeReader.probe(probeSection);
    Section kubeSection = s.section("kubernetes", false);
    KubernetesTargets kubernetes = kubeSection == null ? null : KubernetesReader.kubernetesTargets(kubeSection);
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
    LbConfig lb = lbSection == null ? null : LbReader.lb(lbSection, name);
    return new ServiceConfig(name, port, mode, probe, nodes, whenEmpty, min, max, lb, kubernetes);
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
