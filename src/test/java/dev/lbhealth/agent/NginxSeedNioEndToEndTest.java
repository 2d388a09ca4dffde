package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/** The seed's scenario end to end, the agent on NIO, with a real nginx. */
class NginxSeedNioEndToEndTest extends SeedEndToEnd {
  NginxSeedNioEndToEndTest() {
    super(Kind.NGINX, false);
  }
}
