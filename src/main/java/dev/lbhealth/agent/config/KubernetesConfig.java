package dev.lbhealth.agent.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the agent reaches the Kubernetes API (the top-level {@code kubernetes:} section): a
 * kubeconfig file, or a server URL with a bearer token file and an optional CA file; and how long
 * it trusts what it last saw.
 *
 * @param kubeconfig a kubeconfig file (K3s writes /etc/rancher/k3s/k3s.yaml), or null
 * @param server the API server's URL, or null when a kubeconfig is given
 * @param tokenFile with {@code server}: a file holding the service account's token
 * @param caFile with {@code server}: the cluster's CA certificate, or null for the system's
 * @param freshness how the watched view is checked against the API, and trusted while unchecked
 * @param allowAddresses node addresses taken although they are of a kind refused by default
 *     (loopback, link-local, unspecified, broadcast, multicast)
 */
public record KubernetesConfig(Path kubeconfig, String server, Path tokenFile, Path caFile, Freshness freshness,
    List<AddressRange> allowAddresses) {
  public KubernetesConfig {
    allowAddresses = List.copyOf(allowAddresses);
  }

  /** With the default freshness and no allowed addresses. */
  public KubernetesConfig(Path kubeconfig, String server, Path tokenFile, Path caFile) {
    this(kubeconfig, server, tokenFile, caFile, Freshness.DEFAULT, List.of());
  }

  /**
   * @param checkInterval how often each service's pods are read afresh (with a deadline of the
   *     same length) and compared with the watched view
   * @param staleAfter a view not confirmed by a read for this long is reported stale
   * @param probesDecideAfter a view not confirmed for this long no longer places nodes: probes
   *     alone decide, except that a node being drained stays drained
   */
  public record Freshness(Duration checkInterval, Duration staleAfter, Duration probesDecideAfter) {
    public static final Freshness DEFAULT = new Freshness(Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofMinutes(5));
  }
}
