package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.decision.ServerState;
import io.netty.util.NetUtil;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One server as HAProxy runs it, read from {@code show servers state BACKEND}.
 *
 * @param state maintenance if any maintenance flag is set, else drain if any drain flag, else ready
 * @param running HAProxy counts the server up (its operational state is running): a server the
 *     agent put in rotation that someone marked down ({@code set server ... health down}) takes
 *     no traffic though it is "ready"
 * @param weight its weight now; {@code initialWeight} the one its config gives it: a weight set
 *     to 0 by hand takes the server out as surely as maintenance does
 */
record LiveServer(String name, String address, int port, ServerState state, boolean running, int weight, int initialWeight) {
  /** A running server at its configured weight. */
  LiveServer(String name, String address, int port, ServerState state) {
    this(name, address, port, state, true, 1, 1);
  }

  /**
   * Whether it is at the target's address and port. Addresses are compared as addresses, not
   * text: HAProxy shows {@code ::1} for {@code 0:0:0:0:0:0:0:1}.
   */
  boolean at(String address, int port) {
    if (this.port != port) {
      return false;
    }
    if (this.address.equals(address)) {
      return true; // the common case, without parsing either
    }
    byte[] mine = NetUtil.createByteArrayFromIpAddressString(this.address);
    byte[] theirs = NetUtil.createByteArrayFromIpAddressString(address);
    return mine != null && theirs != null ? Arrays.equals(mine, theirs) : this.address.equals(address);
  }

  /** Whether it carries traffic as a server in {@code state} should: running and at its weight (maintenance aside). */
  boolean serving() {
    return state == ServerState.MAINT || (running && weight == initialWeight);
  }

  /** The key of the backend's own id in {@link #parseIds} (no server can have this name: it is not a valid one). */
  static final String BACKEND_ID = " backend";

  /** srv_admin_state flags (HAProxy's {@code SRV_ADMF_*}): forced, inherited and resolver maint. */
  private static final int MAINT_FLAGS = 0x01 | 0x02 | 0x20;
  /** Forced and inherited drain. */
  private static final int DRAIN_FLAGS = 0x08 | 0x10;

  /**
   * The servers of the backend by name, in HAProxy's order, from the answer to
   * {@code show servers state BACKEND}; null if HAProxy has no such backend.
   */
  static Map<String, LiveServer> parseState(String answer) {
    if (answer.startsWith("Can't find backend")) {
      return null;
    }
    Map<String, LiveServer> servers = new LinkedHashMap<>();
    forEachServer(answer, f -> {
      // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ... srv_port (19th)
      int admin = Integer.parseInt(f[6]);
      ServerState state = (admin & MAINT_FLAGS) != 0 ? ServerState.MAINT
          : (admin & DRAIN_FLAGS) != 0 ? ServerState.DRAIN : ServerState.READY;
      // srv_op_state 2 is running; 0 stopped (also the state of a server in maintenance).
      servers.put(f[3], new LiveServer(f[3], f[4], Integer.parseInt(f[18]), state, Integer.parseInt(f[5]) == 2,
          Integer.parseInt(f[7]), Integer.parseInt(f[8])));
    });
    return servers;
  }

  /**
   * HAProxy's id of each server ({@code srv_id}), from the answer to {@code show servers state
   * BACKEND}, and under the key {@link #BACKEND_ID} the backend's own ({@code be_id}): a frontend
   * may have the backend's name, so a backend is named to {@code show stat} by its id.
   */
  static Map<String, Integer> parseIds(String answer) {
    Map<String, Integer> ids = new HashMap<>();
    if (answer.startsWith("Can't find backend")) {
      return ids;
    }
    forEachServer(answer, f -> {
      ids.put(f[3], Integer.parseInt(f[2]));
      ids.putIfAbsent(BACKEND_ID, Integer.parseInt(f[0]));
    });
    return ids;
  }

  /** Each server line of an answer to {@code show servers state BACKEND}, split into its fields. */
  private static void forEachServer(String answer, java.util.function.Consumer<String[]> server) {
    boolean header = false;
    for (String line : answer.split("\n")) {
      if (line.startsWith("# be_id")) {
        header = true;
        continue;
      }
      String[] f = line.split(" ");
      if (header && f.length >= 19) {
        server.accept(f);
      }
    }
    if (!header) {
      throw new IllegalArgumentException("not an answer to 'show servers state': " + HaproxyRuntimeApi.abbreviate(answer));
    }
  }

  /**
   * One server, from the CSV answer to {@code show stat BACKEND 4 ID} (its status, user weight,
   * address and current sessions), or null when HAProxy has no server of that id. What the
   * answer does not carry (the initial weight) comes from {@code before}.
   *
   * @param sessions gets the server's current sessions
   */
  static LiveServer parseStat(String answer, LiveServer before, Map<String, Integer> sessions) {
    String[] lines = answer.split("\n");
    if (lines.length < 2 || !lines[0].startsWith("# pxname,svname,")) {
      return null;
    }
    List<String> columns = java.util.Arrays.asList(lines[0].substring(2).split(","));
    String[] f = lines[1].split(",", -1);
    int status = columns.indexOf("status");
    int uweight = columns.indexOf("uweight");
    int addr = columns.indexOf("addr");
    int scur = columns.indexOf("scur");
    if (status < 0 || uweight < 0 || addr < 0 || scur < 0 || f.length <= Math.max(Math.max(status, uweight), Math.max(addr, scur))
        || !f[1].equals(before.name())) {
      return null;
    }
    String word = f[status];
    ServerState state = word.startsWith("MAINT") ? ServerState.MAINT : word.startsWith("DRAIN") ? ServerState.DRAIN : ServerState.READY;
    int colon = f[addr].lastIndexOf(':');
    String address = f[addr].substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(f[addr].substring(colon + 1));
    sessions.put(before.name(), f[scur].isEmpty() ? 0 : Integer.parseInt(f[scur]));
    return new LiveServer(before.name(), address, port, state, !word.startsWith("DOWN"), Integer.parseInt(f[uweight]),
        before.initialWeight());
  }

  /** Current sessions per server, from the CSV answer to {@code show stat BACKEND 4 -1}. */
  static Map<String, Integer> parseSessions(String answer) {
    Map<String, Integer> sessions = new HashMap<>();
    String[] lines = answer.split("\n");
    if (lines.length == 0 || !lines[0].startsWith("# pxname,svname,")) {
      return sessions;
    }
    String[] columns = lines[0].substring(2).split(",");
    int scur = java.util.Arrays.asList(columns).indexOf("scur");
    for (int i = 1; i < lines.length && scur > 0; i++) {
      String[] f = lines[i].split(",", -1);
      if (f.length > scur && !f[1].equals("BACKEND") && !f[scur].isEmpty()) {
        sessions.put(f[1], Integer.parseInt(f[scur]));
      }
    }
    return sessions;
  }
}
