package dev.lbhealth.agent.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where and how a service's server set reaches the load balancer.
 *
 * @param kind which LB renders and applies the set
 * @param file the LB config file the agent owns (one per service)
 * @param upstream the HAProxy backend or nginx upstream name
 * @param validate shell command that checks the whole LB config; {@code {file}} is the candidate
 *     file, {@code {dir}} a scratch copy of the file's directory with the candidate in place
 * @param reload shell command that makes the LB load the file
 * @param commandTimeout how long validate and reload may take
 * @param runtimeApi HAProxy Runtime API socket (a path, or host:port), or null for reload only
 */
public record LbConfig(
    Kind kind,
    Path file,
    String upstream,
    String validate,
    String reload,
    Duration commandTimeout,
    String runtimeApi) {

  public enum Kind {
    HAPROXY,
    NGINX
  }
}
