package dev.lbhealth.agent.apply;

import dev.lbhealth.agent.timing.Timers;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The servers leaving HAProxy (running, but no longer in the set): each drains from the first
 * time it is seen leaving; it is deleted once it has no session, and at the drain timeout its
 * sessions are shut (once), after which it is deleted as soon as they are gone. Not thread-safe:
 * the writer's conversations go one at a time.
 */
final class Drains {
  /** What to do with the leaving servers now. */
  record Verdict(Set<String> deletable, Set<String> expired, boolean stillDraining) {}

  private final Timers timers;
  private final long timeoutMillis;
  /** Each leaving server, with when its drain began (the timers' clock). */
  private final Map<String, Long> leaving = new HashMap<>();
  /** Leaving servers whose sessions were shut at the drain timeout, to be deleted once they are gone. */
  private final Set<String> shut = new HashSet<>();

  Drains(Timers timers, Duration timeout) {
    this.timers = timers;
    this.timeoutMillis = timeout.toMillis();
  }

  /**
   * Given the servers leaving now and the sessions each has: which may be deleted, which reached
   * the drain timeout (their sessions to be shut), and whether any is still draining after that.
   * A server no longer leaving is forgotten (it came back, or is gone).
   */
  Verdict look(List<String> gone, Map<String, Integer> sessions) {
    long now = timers.nowMillis();
    leaving.keySet().retainAll(gone);
    shut.retainAll(gone);
    Set<String> deletable = new HashSet<>();
    Set<String> expired = new HashSet<>();
    for (String name : gone) {
      long since = leaving.computeIfAbsent(name, n -> now);
      if (sessions.getOrDefault(name, 0) == 0) {
        deletable.add(name);
      } else if (now - since >= timeoutMillis && !shut.contains(name)) {
        expired.add(name);
      }
    }
    return new Verdict(deletable, expired, gone.size() > deletable.size());
  }

  /** HAProxy shut the server's sessions at the drain timeout. */
  void shut(String server) {
    shut.add(server);
  }

  /** HAProxy deleted the server; returns whether that was after its sessions were shut at the timeout. */
  boolean deleted(String server) {
    leaving.remove(server);
    return shut.remove(server);
  }

  boolean any() {
    return !leaving.isEmpty();
  }
}
