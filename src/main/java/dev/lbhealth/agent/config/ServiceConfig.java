package dev.lbhealth.agent.config;

import java.time.Duration;
import java.util.List;

/**
 * One service exposed on a host port of some nodes.
 *
 * @param mode tcp or http: how the LB proxies it
 * @param whenEmpty what the LB gets when no node is healthy
 * @param coalesceMin quiet time a change must see before it is applied
 * @param coalesceMax the longest a change waits while changes keep coming
 * @param nodes static nodes (may be empty when {@code kubernetes} finds them)
 * @param kubernetes where the service's pods are found, or null for static nodes only
 */
public record ServiceConfig(
    String name,
    int port,
    Mode mode,
    ProbeConfig probe,
    List<NodeConfig> nodes,
    WhenEmpty whenEmpty,
    Duration coalesceMin,
    Duration coalesceMax,
    LbConfig lb,
    KubernetesTargets kubernetes) {

  public ServiceConfig {
    nodes = List.copyOf(nodes);
  }

  /** The same service with other nodes: a change the agent makes live, keeping probe state. */
  public ServiceConfig withNodes(List<NodeConfig> other) {
    return new ServiceConfig(name, port, mode, probe, other, whenEmpty, coalesceMin, coalesceMax, lb, kubernetes);
  }

  public enum Mode {
    TCP,
    HTTP
  }

  /** Policy for an empty healthy set. */
  public enum WhenEmpty {
    /** Fail open: send to every node, as the LB would without the agent. */
    ALL_NODES,
    /** Fail fast: no node gets traffic; clients are refused at once. */
    NO_NODES,
    /** Keep the set that was last applied. */
    LAST_SET
  }
}
