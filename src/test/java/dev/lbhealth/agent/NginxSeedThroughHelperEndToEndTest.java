package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/**
 * The seed's scenario end to end with a real nginx, the agent on native epoll reaching the LB
 * only through the apply helper, as the packaged units run them: every upstream file is written
 * and every reload run by the helper.
 */
class NginxSeedThroughHelperEndToEndTest extends SeedEndToEnd {
  NginxSeedThroughHelperEndToEndTest() {
    super(Kind.NGINX, true, true);
  }
}
