package dev.lbhealth.agent.config;

/**
 * Where a service's pods are found (a service's {@code kubernetes:} section): pods in
 * {@code namespace} matching {@code selector} whose container port has the service's port as
 * its {@code hostPort}; the LB reaches their nodes on the node address of type {@code address}.
 */
public record KubernetesTargets(String namespace, String selector, String address) {
  public static final java.util.Set<String> ADDRESS_TYPES = java.util.Set.of("InternalIP", "ExternalIP", "Hostname");
}
