package dev.lbhealth.agent.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One service as /status shows it: its LB, its targets, the set in rotation and the last apply.
 * The sections that do not apply yet (no discovery, nothing applied) are left out; the last file
 * write and drift are null until there is one.
 */
public record ServiceStatus(String name, int port, String probe, Lb lb, List<NodeStatus> nodes, String problem,
    List<String> warnings, boolean failOpen,
    @JsonInclude(JsonInclude.Include.NON_NULL) Discovery discovery,
    @JsonInclude(JsonInclude.Include.NON_NULL) ServerSetShown serverSet,
    @JsonInclude(JsonInclude.Include.NON_NULL) LastApply lastApply,
    FileWritten lastFileWrite, Drift lastDrift) {

  /**
   * @param live whether changes go live over the Runtime API (else by reload)
   * @param oldWorkers nginx: old workers still shutting down at the last look (left out for HAProxy)
   * @param maxDrainingWorkers nginx: the configured cap on them (left out for HAProxy)
   */
  public record Lb(String kind, String file, String upstream, boolean live,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer oldWorkers,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxDrainingWorkers) {}

  /** @param viewAgeSeconds how old the view is, to a tenth of a second, or null before the first */
  public record Discovery(String source, String problem, boolean listed, Double viewAgeSeconds) {}

  /** @param applying whether this set is on its way to the LB now (the LB may show it already) */
  public record ServerSetShown(List<String> active, List<String> draining, String reason, boolean applying) {}

  /** @param sinceDecisionMs from the decision that asked for it to the end of the apply */
  public record LastApply(String at, String outcome, String method, double durationMs, double sinceDecisionMs,
      List<String> errors) {}

  /** The LB file brought in line after a live switch. */
  public record FileWritten(String at, String outcome, double durationMs, String error) {}

  /** HAProxy's live servers found differing from the set the agent applied. */
  public record Drift(String at, List<String> differences, boolean corrected) {}
}
