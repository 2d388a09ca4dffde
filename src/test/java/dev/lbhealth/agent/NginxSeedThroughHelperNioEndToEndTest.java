package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/**
 * The seed's scenario end to end with a real nginx, the agent on NIO reaching the LB
 * only through the apply helper, as the packaged units run them: every upstream file is written
 * and every reload run by the helper.
 */
class NginxSeedThroughHelperNioEndToEndTest extends SeedEndToEnd {
  NginxSeedThroughHelperNioEndToEndTest() {
    super(Kind.NGINX, false, true);
  }
}
