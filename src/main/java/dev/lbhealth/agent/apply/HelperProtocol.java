package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the agent may say to the apply helper: data, never text for the LB. One request per
 * connection, in lines of ASCII; the answer is {@code ok}, {@code failed} or {@code refused} on
 * the first line and what happened after it. The requests:
 *
 * <pre>
 * apply SERVICE reload|write SHA256      the service's server set, then "end"; SHA256 is the
 * healthy yes|no                         rendered text the agent expects: the helper renders the
 * server NAME ADDRESS PORT ready|drain|maint   set itself and refuses a different result
 * end
 * reload SERVICE                         run the service's reload command (a stopped LB)
 * restore SERVICE SHA256|none            put back the text the last apply replaced (nginx did
 *                                        not load the new one)
 * runtime SERVICE                        then HAProxy Runtime API lines up to "quit", each one
 *                                        of the few the agent sends, for the service's backend
 * leftovers                              remove the files of services no longer in the config
 *                                        (the helper's reading of it); answered "ok" and lines
 *                                        "removed PATH" and "kept PATH...: WHY"
 * </pre>
 *
 * Each field is checked against the grammar the config loader uses for names and addresses; a
 * line that does not parse is refused and named.
 */
public final class HelperProtocol {
  /** The longest line either side accepts. */
  public static final int MAX_LINE = 512;
  /** The most servers one apply may carry. */
  public static final int MAX_SERVERS = 100_000;
  /** The most bytes one request may carry: 100,000 servers of typical names fit in half of it. */
  public static final int MAX_REQUEST = 16 << 20;
  /** The request for {@link Leftovers}: it names no service. */
  public static final String LEFTOVERS = "leftovers";

  private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern PORT = Pattern.compile("[1-9][0-9]{0,4}");

  private HelperProtocol() {}

  /** A request the helper refuses, with what was wrong and where. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** A request's first line. */
  public sealed interface Request permits Apply, Reload, Restore, Runtime, RemoveLeftovers {
    /** The service the request is for; null for {@link RemoveLeftovers}. */
    String service();
  }

  /** {@code apply}: its server lines follow. */
  public record Apply(String service, boolean reload, String sha256) implements Request {}

  public record Reload(String service) implements Request {}

  /** @param sha256 the text to put back, or null: no file was there */
  public record Restore(String service, String sha256) implements Request {}

  /** {@code runtime}: HAProxy Runtime API lines follow. */
  public record Runtime(String service) implements Request {}

  /** {@code leftovers}. */
  public record RemoveLeftovers() implements Request {
    @Override
    public String service() {
      return null;
    }
  }

  /** The first line of a request. */
  public static Request header(String line) throws Refused {
    String[] w = words(line, "request");
    if (!List.of("apply", "reload", "restore", "runtime", LEFTOVERS).contains(w[0])) {
      throw new Refused("unknown request '" + printable(w[0]) + "' (apply, reload, restore, runtime or " + LEFTOVERS + ")");
    }
    if (w[0].equals(LEFTOVERS)) {
      if (w.length != 1) {
        throw new Refused("malformed '" + LEFTOVERS + "' request: '" + printable(line) + "' (it names no service)");
      }
      return new RemoveLeftovers();
    }
    String service = w.length > 1 ? w[1] : null;
    if (service != null && !Names.isName(service)) {
      throw new Refused("service name '" + printable(service) + "' in '" + printable(line) + "': not a name (" + Names.NAME_RULE + ")");
    }
    boolean wellFormed = switch (w[0]) {
      case "apply" -> w.length == 4 && (w[2].equals("reload") || w[2].equals("write")) && SHA.matcher(w[3]).matches();
      case "restore" -> w.length == 3 && (w[2].equals("none") || SHA.matcher(w[2]).matches());
      default -> w.length == 2; // reload, runtime
    };
    if (wellFormed) {
      return switch (w[0]) {
        case "apply" -> new Apply(service, w[2].equals("reload"), w[3]);
        case "restore" -> new Restore(service, w[2].equals("none") ? null : w[2]);
        case "reload" -> new Reload(service);
        default -> new Runtime(service);
      };
    }
    throw new Refused("malformed '" + printable(w[0]) + "' request: '" + printable(line) + "'");
  }

  /**
   * The server set of an {@code apply}, from the lines after its header up to {@code end}.
   *
   * @param port the service's port: a target on another port is refused
   */
  public static ServerSet servers(String service, int port, List<String> lines) throws Refused {
    if (lines.isEmpty() || !lines.get(lines.size() - 1).equals("end")) {
      throw new Refused("apply " + service + ": the server list does not end with 'end'");
    }
    String reason = null; // only whether the set is made of healthy servers reaches the LB's text
    List<ServerSet.Server> servers = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size() - 1; i++) {
      String line = lines.get(i);
      String where = "apply " + service + ", line " + (i + 2) + " '" + printable(line) + "'";
      String[] w = words(line, where);
      if (i == 0) {
        if (w.length != 2 || !w[0].equals("healthy") || !w[1].equals("yes") && !w[1].equals("no")) {
          throw new Refused(where + ": expected 'healthy yes' or 'healthy no' first");
        }
        reason = w[1].equals("yes") ? ServerSet.HEALTHY : "not healthy";
        continue;
      }
      if (w.length != 5 || !w[0].equals("server")) {
        throw new Refused(where + ": expected 'server NAME ADDRESS PORT STATE'");
      }
      if (!Names.isName(w[1])) {
        throw new Refused(where + ": server name is not a name (" + Names.NAME_RULE + ")");
      }
      if (!Names.isAddress(w[2])) {
        throw new Refused(where + ": '" + printable(w[2]) + "' is not an IP address or host name");
      }
      if (!PORT.matcher(w[3]).matches() || Integer.parseInt(w[3]) != port) {
        throw new Refused(where + ": port " + printable(w[3]) + " is not the service's port " + port);
      }
      ServerState state = switch (w[4]) {
        case "ready" -> ServerState.READY;
        case "drain" -> ServerState.DRAIN;
        case "maint" -> ServerState.MAINT;
        default -> throw new Refused(where + ": state '" + printable(w[4]) + "' is not ready, drain or maint");
      };
      if (servers.size() == MAX_SERVERS) {
        throw new Refused("apply " + service + ": more than " + MAX_SERVERS + " servers");
      }
      servers.add(new ServerSet.Server(new Target(service, w[1], w[2], port), state));
    }
    if (reason == null) {
      throw new Refused("apply " + service + ": no 'healthy' line");
    }
    return new ServerSet(servers, reason);
  }

  /** The request text of an apply. */
  static String apply(String service, boolean reload, String text, ServerSet set) {
    StringBuilder out = new StringBuilder(64 + 48 * set.size());
    out.append("apply ").append(service).append(reload ? " reload " : " write ").append(sha256(text)).append('\n');
    out.append("healthy ").append(set.healthy() ? "yes" : "no").append('\n');
    for (ServerSet.Server s : set.servers()) {
      Target t = s.target();
      out.append("server ").append(t.node()).append(' ').append(t.address()).append(' ').append(t.port())
          .append(' ').append(s.state().word()).append('\n');
    }
    return out.append("end\n").toString();
  }

  /** The text of a {@code leftovers} answer after its "ok". */
  public static String leftovers(Leftovers.Outcome outcome) {
    StringBuilder out = new StringBuilder();
    outcome.removed().forEach(r -> out.append("removed ").append(r).append('\n'));
    outcome.kept().forEach(k -> out.append("kept ").append(k.replace('\n', ' ')).append('\n'));
    return out.toString();
  }

  /** A {@code leftovers} answer's text, read back. */
  static Leftovers.Outcome leftovers(String text) {
    List<String> removed = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    for (String line : text.lines().toList()) {
      if (line.startsWith("removed ")) {
        removed.add(line.substring("removed ".length()));
      } else if (line.startsWith("kept ")) {
        kept.add(line.substring("kept ".length()));
      } else if (!line.isBlank()) {
        kept.add("the apply helper answered '" + printable(line) + "'");
      }
    }
    return new Leftovers.Outcome(removed, kept);
  }

  static String restore(String service, String previous) {
    return "restore " + service + " " + (previous == null ? "none" : sha256(previous)) + "\n";
  }

  public static String sha256(String text) {
    return AgentConfig.sha256(text);
  }

  /** A line split at single spaces: any other white space or control character is refused. */
  private static String[] words(String line, String where) throws Refused {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < 0x21 && c != ' ' || c > 0x7e) {
        throw new Refused(where + ": character " + String.format(Locale.ROOT, "0x%02x", (int) c) + " at column " + (i + 1)
            + " (only printable ASCII and single spaces)");
      }
    }
    String[] w = line.split(" ", -1);
    for (String word : w) {
      if (word.isEmpty()) {
        throw new Refused(where + ": empty field (fields are separated by one space)");
      }
    }
    return w;
  }

  /** A value as a refusal quotes it: printable, at most 80 characters. */
  public static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length() && out.length() < 80; i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format(Locale.ROOT, "\\x%02x", (int) c & 0xff));
    }
    return s.length() > out.length() && out.length() >= 80 ? out + "..." : out.toString();
  }

  /** An answer: its verdict word and the text after it. */
  record Answer(String verdict, String text) {
    private static final Pattern FORM = Pattern.compile("(?s)(ok|failed|refused)(?:\\n(.*))?");

    static Answer parse(String raw) {
      Matcher m = FORM.matcher(raw);
      return m.matches() ? new Answer(m.group(1), m.group(2) == null ? "" : m.group(2).strip())
          : new Answer("failed", "the apply helper answered '" + printable(raw.strip()) + "'");
    }
  }
}
