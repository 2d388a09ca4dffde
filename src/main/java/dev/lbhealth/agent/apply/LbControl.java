package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import java.nio.file.Path;
import java.util.List;

/**
 * How the agent's writers reach what only a privileged process should touch: the LB's files, its
 * reload, and HAProxy's Runtime API. {@link #local()} does it in this process (tests, the demo,
 * {@code dry-run --write} run as root); {@link #helper} asks the apply helper, which holds those
 * rights and takes only server lists ({@link HelperProtocol}). Every method but
 * {@link #runtimeApi} blocks: call it on a worker. Each returns null on success, else what went
 * wrong; the LB file is then the last good one, complete.
 */
public interface LbControl {
  /**
   * Validates the text, writes it atomically and runs the reload command; if the reload fails,
   * {@code previous} (null: no file) is put back.
   *
   * @param text the set rendered by the agent: the helper renders it itself and refuses to write
   *     anything else
   */
  String installAndReload(ServiceConfig service, ServerSet set, String text, String previous);

  /** Validates the text and writes it atomically, without a reload. */
  String install(ServiceConfig service, ServerSet set, String text);

  /** Runs the service's reload command (Debian's reload-or-restart also starts a stopped LB). */
  String reload(ServiceConfig service);

  /** Puts {@code previous} back (null: removes the file), without a reload. */
  String restore(ServiceConfig service, String previous);

  /**
   * Removes the LB files that services no longer in the config left ({@link Leftovers}), where
   * the LB's config validates without them, and reloads the LB for them.
   *
   * @param services the config's services (the helper goes by its own reading of the config)
   */
  Leftovers.Outcome removeLeftovers(List<ServiceConfig> services);

  /**
   * Where the service's Runtime API is spoken, and the line that opens each conversation there
   * (null: none, HAProxy's own socket).
   */
  RuntimeEndpoint runtimeApi(ServiceConfig service);

  record RuntimeEndpoint(String address, String opening) {}

  /** In this process, with this process's rights. */
  static LbControl local() {
    return LocalControl.INSTANCE;
  }

  /** Through the apply helper listening on {@code socket}. */
  static LbControl helper(Path socket) {
    return new HelperControl(socket);
  }
}
