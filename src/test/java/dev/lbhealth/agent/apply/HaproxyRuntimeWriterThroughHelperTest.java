package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.config.StatusConfig;
import dev.lbhealth.agent.helper.ApplyHelper;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * Every Runtime API writer test again, the writer reaching HAProxy only through the apply helper
 * (its gate, its file writes and reloads), as the packaged units run them: pod moves, nodes added
 * and removed, drains and their timeout, drift corrected, a reload that is never loaded, a missing
 * socket and one that answers garbage all behave as when the agent holds the rights itself.
 */
class HaproxyRuntimeWriterThroughHelperTest extends HaproxyRuntimeWriterTest {
  private ApplyHelper helper;

  @Override
  LbControl control(ServiceConfig service) throws Exception {
    if (helper != null) {
      helper.close();
    }
    java.nio.file.Path socket = dir.resolve("apply-helper.sock");
    helper = ApplyHelper.forConfig(new AgentConfig(new StatusConfig(StatusConfig.DEFAULT_HOST, StatusConfig.DEFAULT_PORT, null, null), null, List.of(service)), ApplyHelper.bind(socket),
        System.getProperty("user.name")).serveInBackground();
    return LbControl.helper(socket);
  }

  @AfterEach
  void stopHelper() throws Exception {
    if (helper != null) {
      helper.close();
    }
  }
}
