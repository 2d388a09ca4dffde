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
   * A backend as {@code show servers state BACKEND} shows it: its servers by name in HAProxy's
   * order (null if HAProxy has no such backend), and HAProxy's id of each ({@code srv_id}) with,
   * under the key {@link #BACKEND_ID}, the backend's own ({@code be_id}): a frontend may have the
   * backend's name, so a backend is named to {@code show stat} by its id.
   */
  record Backend(Map<String, LiveServer> servers, Map<String, Integer> ids) {}

  /** The fields of a {@code show servers state} line that are read: be_id, srv_id, srv_name, srv_addr, op and admin state, weights, port. */
  private static final int[] READ = {0, 2, 3, 4, 5, 6, 7, 8, 18};

  /**
   * The answer to {@code show servers state BACKEND}, read in one walk that takes of each line
   * only the fields it needs (5,000 servers are 750 KB of answer, read at every drift check).
   */
  static Backend parseBackend(String answer) {
    if (answer.startsWith("Can't find backend")) {
      return new Backend(null, new HashMap<>());
    }
    Map<String, LiveServer> servers = new LinkedHashMap<>();
    Map<String, Integer> ids = new HashMap<>();
    boolean header = false;
    String[] f = new String[19];
    for (int start = 0, end; start < answer.length(); start = end + 1) {
      end = answer.indexOf('\n', start);
      end = end < 0 ? answer.length() : end;
      if (answer.startsWith("# be_id", start)) {
        header = true;
      } else if (header && fields(answer, start, end, f)) {
        // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ... srv_port (19th)
        int admin = Integer.parseInt(f[6]);
        ServerState state = (admin & MAINT_FLAGS) != 0 ? ServerState.MAINT
            : (admin & DRAIN_FLAGS) != 0 ? ServerState.DRAIN : ServerState.READY;
        // srv_op_state 2 is running; 0 stopped (also the state of a server in maintenance).
        servers.put(f[3], new LiveServer(f[3], f[4], Integer.parseInt(f[18]), state, Integer.parseInt(f[5]) == 2,
            Integer.parseInt(f[7]), Integer.parseInt(f[8])));
        ids.put(f[3], Integer.parseInt(f[2]));
        ids.putIfAbsent(BACKEND_ID, Integer.parseInt(f[0]));
      }
    }
    if (!header) {
      throw new IllegalArgumentException("not an answer to 'show servers state': " + HaproxyRuntimeApi.abbreviate(answer));
    }
    return new Backend(servers, ids);
  }

  /** Fills {@code f} with the {@link #READ} fields of the space-separated line; false if it has fewer than 19. */
  private static boolean fields(String answer, int start, int end, String[] f) {
    int field = 0;
    int next = 0;
    for (int from = start; from <= end && next < READ.length; field++) {
      int space = answer.indexOf(' ', from);
      int to = space < 0 || space > end ? end : space;
      if (field == READ[next]) {
        f[field] = answer.substring(from, to);
        next++;
      }
      from = to + 1;
    }
    return next == READ.length;
  }

  /** The servers of {@link #parseBackend}. */
  static Map<String, LiveServer> parseState(String answer) {
    return parseBackend(answer).servers();
  }

  /** The ids of {@link #parseBackend}. */
  static Map<String, Integer> parseIds(String answer) {
    return parseBackend(answer).ids();
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

  /**
   * Current sessions per server, from the CSV answer to {@code show stat BACKEND 4 -1}: of each
   * line only the name and {@code scur} are taken (a line has some 90 columns).
   */
  static Map<String, Integer> parseSessions(String answer) {
    Map<String, Integer> sessions = new HashMap<>();
    int headerEnd = answer.indexOf('\n');
    if (headerEnd < 0 || !answer.startsWith("# pxname,svname,")) {
      return sessions;
    }
    int scur = java.util.Arrays.asList(answer.substring(2, headerEnd).split(",")).indexOf("scur");
    for (int start = headerEnd + 1, end; start < answer.length() && scur > 1; start = end + 1) {
      end = answer.indexOf('\n', start);
      end = end < 0 ? answer.length() : end;
      String[] f = answer.substring(start, end).split(",", scur + 2);
      if (f.length > scur && !f[1].equals("BACKEND") && !f[scur].isEmpty()) {
        sessions.put(f[1], Integer.parseInt(f[scur]));
      }
    }
    return sessions;
  }
}
