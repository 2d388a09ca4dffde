package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/**
 * The seed's scenario end to end with a real HAProxy, the agent on native epoll reaching the LB
 * only through the apply helper, as the packaged units run them: its Runtime API conversations
 * pass the helper's gate, its files are written by the helper.
 */
class HaproxySeedThroughHelperEndToEndTest extends SeedEndToEnd {
  HaproxySeedThroughHelperEndToEndTest() {
    super(Kind.HAPROXY, true, true);
  }
}
