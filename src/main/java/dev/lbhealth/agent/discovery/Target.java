package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.Names;

/** One node's host port for one service: what is probed and what becomes an LB server. */
public record Target(String service, String node, String address, int port) {
  public String hostPort() {
    return Names.hostPort(address, port);
  }
}
