package dev.lbhealth.agent.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** How the Kubernetes API is reached (the top-level {@code kubernetes}) and where a service's pods are found ({@code services[].kubernetes}), read and checked. */
final class KubernetesReader {
  /** A kubeconfig is a few KiB; a larger file is not one (and is not parsed). */
  private static final long MAX_KUBECONFIG = 1 << 20;

  private KubernetesReader() {}

  static KubernetesConfig kubernetes(Section s) {
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
      JsonNode tree = ConfigLoader.YAML.readTree(Files.readString(file));
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

  static KubernetesTargets kubernetesTargets(Section s) {
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
}
