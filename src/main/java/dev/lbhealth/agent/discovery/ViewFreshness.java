package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.Durations;
import dev.lbhealth.agent.config.KubernetesConfig;
import dev.lbhealth.agent.timing.Timers;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How fresh a service's Kubernetes view is: when the API last confirmed it, what keeps it from
 * being confirmed now, and whether it is old enough for the probes alone to decide. Not
 * thread-safe, except {@link #trouble}: the agent's context.
 */
final class ViewFreshness {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackendSource.class);

  private final String service;
  private final KubernetesConfig.Freshness settings;
  private final Timers timers;
  /** When the view was last confirmed by the API (a list, or a read that agreed); MIN_VALUE never. */
  private long confirmedAtMillis = Long.MIN_VALUE;
  /** Why the view is not confirmed now (the last read's or watch's trouble), or null. */
  private volatile String trouble;
  private String loggedTrouble;
  private boolean listedOnce;
  private boolean handedToProbes;

  ViewFreshness(String service, KubernetesConfig.Freshness settings, Timers timers) {
    this.service = service;
    this.settings = settings;
    this.timers = timers;
  }

  /** The informers listed: the view is confirmed as of now. */
  void listed() {
    listedOnce = true;
    LOG.info("service {}: Kubernetes API listed", service);
    confirmed(timers.epochMillis());
  }

  /** The API confirmed the view as of {@code atMillis} (a read that agreed with the cache). */
  void confirmed(long atMillis) {
    confirmedAtMillis = Math.max(confirmedAtMillis, atMillis);
    if (trouble != null) {
      LOG.info("service {}: Kubernetes view confirmed by the API again", service);
    }
    trouble = null;
    loggedTrouble = null;
  }

  /** What keeps the view from being confirmed, logged once per new reason, one line. */
  void troubled(String why) {
    trouble = why;
    if (!why.equals(loggedTrouble)) {
      loggedTrouble = why;
      LOG.warn("service {}: Kubernetes API: {}; view as of {}", service, why,
          confirmedAtMillis == Long.MIN_VALUE ? "never confirmed" : Instant.ofEpochMilli(confirmedAtMillis).toString());
    }
  }

  /** Why the view is not confirmed now, or null (any thread). */
  String trouble() {
    return trouble;
  }

  boolean listedOnce() {
    return listedOnce;
  }

  /** Whether the view is old enough for the probes alone to decide (logged as it becomes so). */
  boolean handedToProbes() {
    boolean probes = ageMillis() > settings.probesDecideAfter().toMillis();
    if (probes && !handedToProbes) {
      LOG.warn("service {}: Kubernetes view not confirmed for {}: probes alone decide now (a node being drained stays drained)",
          service, Durations.format(settings.probesDecideAfter()));
    }
    handedToProbes = probes;
    return probes;
  }

  /** How long ago the view was confirmed, or -1 if never. */
  long viewAgeMillis() {
    return confirmedAtMillis == Long.MIN_VALUE ? -1 : ageMillis();
  }

  private long ageMillis() {
    return confirmedAtMillis == Long.MIN_VALUE ? Long.MAX_VALUE : Math.max(0, timers.epochMillis() - confirmedAtMillis);
  }

  /** Whether the view is confirmed within stale-after. */
  boolean connected() {
    return listedOnce && ageMillis() <= settings.staleAfter().toMillis();
  }

  /** Null while the view is current, else why not; {@code refused} is what the view left out, and why. */
  String problem(String refused) {
    if (!listedOnce) {
      return "Kubernetes API not listed yet" + (trouble == null ? "" : ": " + trouble)
          + "; the LB keeps the servers it has" + refused;
    }
    long age = ageMillis();
    boolean stale = age > settings.staleAfter().toMillis();
    if (!stale && trouble == null) {
      return refused.isEmpty() ? null : refused.substring(2);
    }
    return (stale ? "Kubernetes view not confirmed for " + age / 1000 + " s (" + (trouble == null ? "no answer" : trouble) + ")"
            : "Kubernetes API: " + trouble + "; view confirmed " + age / 1000 + " s ago")
        + "; " + (handedToProbes ? "probes alone decide (a node being drained stays drained)"
            : "what was last seen stands until it is " + Durations.format(settings.probesDecideAfter())
                + " old, then probes alone decide")
        + refused;
  }
}
