package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.Names;

/** One node's host port for one service: what is probed and what becomes an LB server. */
public record Target(String service, String node, String address, int port) {
  public String hostPort() {
    return Names.hostPort(address, port);
  }

  /**
   * From the node's name (its hash kept by the string) and the port: targets are map keys in
   * every stage, thousands of them per change, and the record's own hash combines all four parts
   * each time. Equal targets have equal nodes and ports, so the contract holds.
   */
  @Override
  public int hashCode() {
    return 31 * node.hashCode() + port;
  }
}
