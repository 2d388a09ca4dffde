package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/** The seed's scenario end to end, the agent on NIO, with a real HAProxy. */
class HaproxySeedNioEndToEndTest extends SeedEndToEnd {
  HaproxySeedNioEndToEndTest() {
    super(Kind.HAPROXY, false);
  }
}
