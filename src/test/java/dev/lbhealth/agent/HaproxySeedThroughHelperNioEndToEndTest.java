package dev.lbhealth.agent;

import dev.lbhealth.agent.config.LbConfig.Kind;

/**
 * The seed's scenario end to end with a real HAProxy, the agent on NIO reaching the LB
 * only through the apply helper, as the packaged units run them: its Runtime API conversations
 * pass the helper's gate, its files are written by the helper.
 */
class HaproxySeedThroughHelperNioEndToEndTest extends SeedEndToEnd {
  HaproxySeedThroughHelperNioEndToEndTest() {
    super(Kind.HAPROXY, false, true);
  }
}
