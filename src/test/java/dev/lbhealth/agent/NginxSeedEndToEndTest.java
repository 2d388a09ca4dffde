package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/** The seed's scenario end to end, the agent on native epoll, with a real nginx. */
class NginxSeedEndToEndTest extends SeedEndToEnd {
  NginxSeedEndToEndTest() {
    super(Kind.NGINX, true);
  }
}
