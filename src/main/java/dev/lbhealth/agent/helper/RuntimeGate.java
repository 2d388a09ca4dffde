package dev.lbhealth.agent.helper;

import dev.lbhealth.agent.apply.HelperProtocol;
import dev.lbhealth.agent.apply.HelperProtocol.Refused;
import dev.lbhealth.agent.config.Names;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HAProxy Runtime API commands the agent may have passed on to HAProxy's admin socket: the
 * few it sends to switch the servers of its own backend, with nothing after them. Everything else
 * an admin-level socket takes is refused: {@code expert-mode} and {@code experimental-mode} (whose
 * {@code debug dev} commands read and write HAProxy's memory), TLS certificates and CA files, maps
 * and ACLs, other backends and frontends, server options that load files ({@code crt},
 * {@code ca-file}), and several commands on one line ({@code ;}).
 */
final class RuntimeGate {
  private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";
  private static final String PORT = "([1-9][0-9]{0,4})";
  private static final String ID = "[0-9]{1,9}";

  private final Pattern fixed;
  private final Pattern server;

  /** @param backend the backend of the service the conversation is for */
  RuntimeGate(String backend) {
    String b = Pattern.quote(backend);
    this.fixed = Pattern.compile("prompt|quit|show info|show servers state " + b
        + "|show stat (" + b + "|" + ID + ") 4 (-1|" + ID + ")");
    this.server = Pattern.compile("(add server|set server|set weight|shutdown sessions server|del server) " + b + "/" + NAME
        + "(?<rest>( .*)?)");
  }

  /** Refuses a line that is not one of the agent's commands for this backend, saying which. */
  void check(String line) throws Refused {
    if (fixed.matcher(line).matches()) {
      return;
    }
    Matcher m = server.matcher(line);
    if (m.matches() && restAllowed(m.group(1), m.group("rest"))) {
      return;
    }
    throw new Refused("Runtime API command '" + HelperProtocol.printable(line) + "' is not one the agent sends for this"
        + " service's backend (only show info/servers state/stat, add, set server addr/state/health up, set weight,"
        + " shutdown sessions and del server, one per line)");
  }

  private static boolean restAllowed(String verb, String rest) {
    return switch (verb) {
      case "add server" -> rest.matches(" (\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):" + PORT) && Names.isAddress(host(rest.substring(1)));
      case "set server" -> rest.matches(" state (ready|drain|maint)| health up")
          || rest.matches(" addr [0-9A-Za-z:.-]+ port " + PORT) && Names.isAddress(rest.split(" ")[2]);
      case "set weight" -> rest.matches(" [0-9]{1,3}");
      default -> rest.isEmpty();
    };
  }

  private static String host(String hostPort) {
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }
}
