package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.helper.ApplyHelper;
import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "apply-helper", mixinStandardHelpOptions = true,
    description = {"Run the apply helper: the privileged half that owns the LB's files, reload and Runtime API socket,"
        + " and takes from the agent only server lists over a Unix socket.",
        "Under systemd the socket is the unit's (StandardInput=socket); else give --socket."})
final class ApplyHelperCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ApplyHelperCommand.class);

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "the agent's YAML config, as the helper reads it (root-owned)")
  Path config;

  @Option(names = "--peer-user", required = true, paramLabel = "USER",
      description = "the agent's user: connections of any other user are refused")
  String peerUser;

  @Option(names = "--socket", paramLabel = "PATH",
      description = "bind this Unix socket (mode 0660, group the peer user's) instead of using the one systemd passes on standard input")
  Path socket;

  @Override
  public Integer call() throws Exception {
    ServerSocketChannel server;
    try {
      server = socket == null ? inherited() : ApplyHelper.bind(socket, peerUser);
    } catch (IOException e) {
      LOG.error("apply helper: {}", e.getMessage());
      return Main.EXIT_FAILURE;
    }
    ApplyHelper helper;
    try {
      helper = ApplyHelper.of(config, server, peerUser);
    } catch (ConfigException e) {
      LOG.error("apply helper: {}", e.getMessage());
      return Main.EXIT_CONFIG;
    }
    helper.serve();
    return 0;
  }

  private static ServerSocketChannel inherited() throws IOException {
    Channel channel = System.inheritedChannel();
    if (channel instanceof ServerSocketChannel s) {
      return s;
    }
    throw new IOException("no listening socket on standard input (systemd's StandardInput=socket) and no --socket");
  }
}
