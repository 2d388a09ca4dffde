package dev.lbhealth.agent.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.decision.ServerSet.Server;
import dev.lbhealth.agent.decision.ServerState;
import dev.lbhealth.agent.discovery.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Runtime API commands for a diff between HAProxy's servers and the desired set. */
class RuntimePlanTest {
  private static Target target(String node, String address) {
    return new Target("rsync-ssh", node, address, 9890);
  }

  private static Map<String, LiveServer> live(LiveServer... servers) {
    Map<String, LiveServer> out = new LinkedHashMap<>();
    for (LiveServer s : servers) {
      out.put(s.name(), s);
    }
    return out;
  }

  private static LiveServer server(String name, String address, ServerState state) {
    return new LiveServer(name, address, 9890, state);
  }

  private static ServerSet set(Server... servers) {
    return new ServerSet(List.of(servers), "healthy");
  }

  private static Server ready(String node, String address) {
    return new Server(target(node, address), ServerState.READY);
  }

  private static Server maint(String node, String address) {
    return new Server(target(node, address), ServerState.MAINT);
  }

  @Test
  void aPodMoveSwitchesTwoStatesTheGainingServerFirst() {
    RuntimePlan plan = RuntimePlan.of("rsync-ssh",
        live(server("copernicus", "127.0.0.2", ServerState.READY), server("galileo", "127.0.0.3", ServerState.MAINT)),
        set(maint("copernicus", "127.0.0.2"), ready("galileo", "127.0.0.3")), Set.of(), Set.of());
    assertEquals(List.of("set server rsync-ssh/galileo state ready", "set server rsync-ssh/copernicus state maint"),
        plan.commands());
    assertEquals(List.of("copernicus: ready, wanted maint", "galileo: maint, wanted ready"), plan.differences());
  }

  @Test
  void addressesCompareAsAddressesNotAsText() {
    // HAProxy shows ::1 for a server configured as 0:0:0:0:0:0:0:1: the same address, nothing to send.
    RuntimePlan plan = RuntimePlan.of("rsync-ssh", live(server("copernicus", "::1", ServerState.READY)),
        set(ready("copernicus", "0:0:0:0:0:0:0:1")), Set.of(), Set.of());
    assertEquals(List.of(), plan.commands());
    assertEquals(List.of(), plan.differences());
  }

  @Test
  void aWeightSetToZeroByHandIsDriftAndIsPutBack() {
    RuntimePlan plan = RuntimePlan.of("rsync-ssh",
        live(new LiveServer("newton", "127.0.0.4", 9890, ServerState.READY, true, 0, 1)),
        set(ready("newton", "127.0.0.4")), Set.of(), Set.of());
    assertEquals(List.of("set weight rsync-ssh/newton 1"), plan.commands());
    assertEquals(List.of("newton: weight 0, wanted 1"), plan.differences());
  }

  @Test
  void aServerMarkedDownByHandIsDriftAndIsMarkedUpAgain() {
    RuntimePlan plan = RuntimePlan.of("rsync-ssh",
        live(new LiveServer("newton", "127.0.0.4", 9890, ServerState.READY, false, 1, 1),
            new LiveServer("galileo", "127.0.0.3", 9890, ServerState.MAINT, false, 1, 1)),
        set(ready("newton", "127.0.0.4"), maint("galileo", "127.0.0.3")), Set.of(), Set.of());
    assertEquals(List.of("set server rsync-ssh/newton health up"), plan.commands(), "a server in maintenance is stopped anyway");
    assertEquals(List.of("newton: marked down in HAProxy, wanted up"), plan.differences());
  }

  @Test
  void aNewNodeIsAddedThenSetAndAMovedOneGetsItsAddress() {
    RuntimePlan plan = RuntimePlan.of("rsync-ssh",
        live(server("copernicus", "127.0.0.2", ServerState.READY)),
        set(ready("copernicus", "127.0.0.9"), ready("newton", "127.0.0.4"), maint("kepler", "127.0.0.5")), Set.of(), Set.of());
    assertEquals(List.of(
        "set server rsync-ssh/copernicus addr 127.0.0.9 port 9890",
        "add server rsync-ssh/newton 127.0.0.4:9890",
        "set server rsync-ssh/newton state ready",
        "add server rsync-ssh/kepler 127.0.0.5:9890"), plan.commands());
    assertEquals(List.of("", "New server registered.", "", "New server registered."), plan.expected());
  }

  @Test
  void aLeavingServerDrainsThenIsDeletedOnceEmptyOrShutAtTheTimeout() {
    Map<String, LiveServer> before = live(server("copernicus", "127.0.0.2", ServerState.READY),
        server("galileo", "127.0.0.3", ServerState.READY), server("newton", "127.0.0.4", ServerState.DRAIN));
    ServerSet onlyGalileo = set(ready("galileo", "127.0.0.3"));
    assertEquals(List.of("copernicus", "newton"), RuntimePlan.leaving(before, onlyGalileo));

    assertEquals(List.of("set server rsync-ssh/copernicus state drain"),
        RuntimePlan.of("rsync-ssh", before, onlyGalileo, Set.of(), Set.of()).commands(), "connections left: drain, keep");
    assertEquals(List.of("set server rsync-ssh/copernicus state drain", "set server rsync-ssh/newton state maint",
        "del server rsync-ssh/newton"),
        RuntimePlan.of("rsync-ssh", before, onlyGalileo, Set.of("newton"), Set.of()).commands(), "newton has none left");
    assertEquals(List.of("shutdown sessions server rsync-ssh/copernicus", "set server rsync-ssh/copernicus state maint"),
        RuntimePlan.of("rsync-ssh", live(before.get("copernicus"), before.get("galileo")), onlyGalileo, Set.of(),
            Set.of("copernicus")).commands(), "drain timeout: shut now, delete once HAProxy has closed them");
  }

  @Test
  void nothingToSayWhenHaproxyAlreadyRunsTheSet() {
    RuntimePlan plan = RuntimePlan.of("rsync-ssh", live(server("galileo", "127.0.0.3", ServerState.DRAIN)),
        set(new Server(target("galileo", "127.0.0.3"), ServerState.DRAIN)), Set.of(), Set.of());
    assertEquals(List.of(), plan.commands());
  }

  @Test
  void everyAnswerIsChecked() {
    RuntimePlan plan = RuntimePlan.of("rsync-ssh", live(server("copernicus", "127.0.0.2", ServerState.READY)),
        set(ready("copernicus", "127.0.0.9"), ready("newton", "127.0.0.4")), Set.of(), Set.of());
    assertNull(plan.refusal(List.of("IP changed from '127.0.0.2' to '127.0.0.9' by 'stats socket command'",
        "New server registered.", "")));
    assertEquals("HAProxy answered 'add server rsync-ssh/newton 127.0.0.4:9890' with ''",
        plan.refusal(List.of("IP changed from '127.0.0.2' to '127.0.0.9'", "", "")), "an empty line is no registration");
    assertTrue(plan.refusal(List.of("IP changed", "New server registered.", "No such server.")).contains("No such server."));
    assertTrue(plan.refusal(List.of("Invalid addr", "New server registered.", "")).contains("Invalid addr"));
  }

  /** Text as HAProxy 2.6 sends it in prompt mode (captured from a real exchange). */
  @Test
  void interactiveAnswersSplitOnePerCommandAndStateParses() {
    String text = "\n> \n> New server registered.\n\n> No such server.\n\n> 1\n"
        + "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"
        + "3 be1 1 a 127.0.0.5 2 0 1 1 0 1 0 2 0 0 0 0 - 9891 - 0 0 - - 0\n"
        + "3 be1 2 b 127.0.0.3 2 4 1 1 7 1 0 0 8 0 0 0 - 9890 - 0 0 - - 0\n"
        + "3 be1 3 c 127.0.0.4 0 1 1 1 0 1 0 0 0 0 0 0 - 9890 - 0 0 - - 0\n"
        + "3 be1 4 d 127.0.0.6 2 8 1 1 0 1 0 0 0 0 0 0 - 9890 - 0 0 - - 0\n\n> \n> Server deleted.\n> ";
    List<String> answers = HaproxyRuntimeApi.split(text, 6);
    assertEquals("", answers.get(0));
    assertEquals("New server registered.", answers.get(1));
    assertEquals("No such server.", answers.get(2));
    assertEquals("Server deleted.", answers.get(5));
    assertNull(HaproxyRuntimeApi.split(text, 7), "HAProxy closed before the seventh answer");

    Map<String, LiveServer> state = LiveServer.parseState(answers.get(3));
    assertEquals(List.of(new LiveServer("a", "127.0.0.5", 9891, ServerState.READY),
        new LiveServer("b", "127.0.0.3", 9890, ServerState.READY), // disabled in the file, then set ready
        new LiveServer("c", "127.0.0.4", 9890, ServerState.MAINT, false, 1, 1), // just added: in maintenance, so stopped
        new LiveServer("d", "127.0.0.6", 9890, ServerState.DRAIN)), List.copyOf(state.values()));
    assertNull(LiveServer.parseState("Can't find backend."));
    assertEquals(Map.of("a", 1, "b", 2, "c", 3, "d", 4, LiveServer.BACKEND_ID, 3), LiveServer.parseIds(answers.get(3)),
        "each server's id, and the backend's: a server is read back alone as 'show stat 3 4 ID'");
    assertEquals(Map.of(), LiveServer.parseIds("Can't find backend."));

    String stat = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,"
        + "act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,"
        + "check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,"
        + "req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,"
        + "rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,"
        + "agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,"
        + "wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,"
        + "idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,\n";
    List<String> columns = List.of(stat.substring(2).strip().split(","));
    String[] row = new String[columns.size()];
    java.util.Arrays.fill(row, "");
    row[0] = "be1";
    row[columns.indexOf("svname")] = "b";
    row[columns.indexOf("status")] = "DRAIN";
    row[columns.indexOf("uweight")] = "1";
    row[columns.indexOf("scur")] = "2";
    row[columns.indexOf("addr")] = "127.0.0.3:9890";
    String drainingWithTwo = stat + String.join(",", row) + ",\n";
    Map<String, Integer> sessions = new java.util.HashMap<>();
    assertEquals(new LiveServer("b", "127.0.0.3", 9890, ServerState.DRAIN, true, 1, 1),
        LiveServer.parseStat(drainingWithTwo, state.get("b"), sessions));
    assertEquals(Map.of("b", 2), sessions);
    assertNull(LiveServer.parseStat(stat, state.get("b"), sessions), "no such server: only the header");
  }
}
