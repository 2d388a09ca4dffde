package dev.lbhealth.agent.config;

import java.nio.file.Path;

/**
 * How the agent reaches the Kubernetes API (the top-level {@code kubernetes:} section): a
 * kubeconfig file, or a server URL with a bearer token file and an optional CA file.
 *
 * @param kubeconfig a kubeconfig file (K3s writes /etc/rancher/k3s/k3s.yaml), or null
 * @param server the API server's URL, or null when a kubeconfig is given
 * @param tokenFile with {@code server}: a file holding the service account's token
 * @param caFile with {@code server}: the cluster's CA certificate, or null for the system's
 */
public record KubernetesConfig(Path kubeconfig, String server, Path tokenFile, Path caFile) {}
