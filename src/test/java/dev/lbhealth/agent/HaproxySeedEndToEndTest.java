package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/** The seed's scenario end to end, the agent on native epoll, with a real HAProxy. */
class HaproxySeedEndToEndTest extends SeedEndToEnd {
  HaproxySeedEndToEndTest() {
    super(Kind.HAPROXY, true);
  }
}
