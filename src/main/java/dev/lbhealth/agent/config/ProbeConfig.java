package dev.lbhealth.agent.config;

import java.time.Duration;

/**
 * How a service's nodes are probed. {@code expect} is the banner prefix for {@link Type#BANNER};
 * {@code path} and {@code status} are for {@link Type#HTTP}. {@code jitter} is the fraction of the
 * interval by which each wait is randomly stretched or shortened, so probes spread out.
 */
public record ProbeConfig(
    Type type,
    Duration interval,
    Duration timeout,
    int rise,
    int fall,
    double jitter,
    String expect,
    String path,
    int status) {

  public enum Type {
    TCP,
    BANNER,
    HTTP
  }
}
