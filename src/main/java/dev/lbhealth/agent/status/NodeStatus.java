package dev.lbhealth.agent.status;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One target as /status and /events show it.
 *
 * @param health up, down or unknown: the probes' verdict, down while flap damping holds it out
 * @param state its state in the set the LB has (ready, drain, maint), or null before any apply
 * @param kubernetes what Kubernetes says of its pod (serving, terminating, ...), or null for a static node
 * @param since when its health last changed (ISO-8601), or null before its first verdict
 * @param inconclusiveProbes probe timeouts not counted because the agent was held up; shown only when some
 * @param lastProbe its last probe, shown once it has been probed
 */
public record NodeStatus(String name, String address, String health, boolean damped, String state, String kubernetes,
    boolean inRotation, int consecutiveSuccesses, int consecutiveFailures, String since,
    @JsonInclude(JsonInclude.Include.NON_NULL) Long inconclusiveProbes,
    @JsonInclude(JsonInclude.Include.NON_NULL) LastProbe lastProbe) {

  /** @param at when it ended (ISO-8601) */
  public record LastProbe(String at, boolean healthy, double latencyMs, String detail) {}
}
