package dev.lbhealth.agent.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where and how a service's server set reaches the load balancer.
 *
 * @param kind which LB renders and applies the set
 * @param file the LB config file the agent owns (one per service)
 * @param upstream the HAProxy backend or nginx upstream name
 * @param validate shell command that checks the whole LB config with the candidate in place:
 *     {@code {file}} is the candidate, {@code {dir}} a scratch copy of the file's directory and
 *     {@code {root}} a scratch copy of {@code configRoot}, each with the candidate in place
 * @param configRoot the LB's configuration folder (what {@code {root}} copies)
 * @param reload shell command that makes the LB load the file
 * @param commandTimeout how long validate and reload may take
 * @param runtimeApi HAProxy Runtime API socket (a path, or host:port), or null for reload only
 * @param listen nginx only: where a proxy {@code server} for the upstream listens, rendered into
 *     the same file; null to render the upstream alone
 * @param drainTimeout Runtime API: how long a server that leaves the set may keep its
 *     connections before they are shut and the server is deleted
 * @param driftCheck Runtime API: how often HAProxy's live servers are compared with the set
 * @param onDrift Runtime API: whether a difference made outside the agent is corrected or only
 *     reported
 * @param minReloadInterval at most one reload (and, with the Runtime API, one file write) per
 *     this interval; changes in between are merged into the next
 * @param maxDrainingWorkers nginx only: no reload while it would leave more old workers shutting
 *     down than this (each keeps its connections and memory until they end)
 */
public record LbConfig(
    Kind kind,
    Path file,
    String upstream,
    String validate,
    Path configRoot,
    String reload,
    Duration commandTimeout,
    String runtimeApi,
    String listen,
    Duration drainTimeout,
    Duration driftCheck,
    OnDrift onDrift,
    Duration minReloadInterval,
    int maxDrainingWorkers) {

  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofMinutes(10);
  public static final Duration DEFAULT_DRIFT_CHECK = Duration.ofSeconds(10);
  public static final Duration DEFAULT_MIN_RELOAD_INTERVAL = Duration.ofSeconds(1);
  public static final int DEFAULT_MAX_DRAINING_WORKERS = 8;

  public enum OnDrift {
    CORRECT,
    REPORT
  }

  public enum Kind {
    HAPROXY,
    NGINX
  }
}
