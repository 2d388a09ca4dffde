package dev.lbhealth.agent.discovery;

/**
 * When a service's informers are started afresh (a new list, new watches), decided after each read
 * of the pods ({@link PodRead}): after a spell in which the API did not answer (a watch opened
 * before may be dead without a word), and when the API answers but the informers stay behind it,
 * do not watch, or have not listed, for {@link #BEHIND_READS} reads in a row, then at wider
 * spacing while fresh starts do not help (a lasting 403). A watch that lags (a burst of changes
 * on a busy API) but still delivers is left alone. Not thread-safe: the agent's context.
 */
final class Restarts {
  /** Reads in a row that find the informers behind, not watching or delivering nothing, before they are started afresh. */
  static final int BEHIND_READS = 2;
  /** At most this many reads between two fresh starts while they do not help. */
  static final int MAX_SPACING = 12;

  /** After a read: the view is confirmed, nothing is to be done yet, or the informers start afresh. */
  enum Kind { CONFIRMED, WAIT, RESTART }

  /**
   * @param why what a restart is for, in words
   * @param nodesStartedBy the shared Node informer starts afresh too if it was started at or
   *     before this (the timers' nanos); Long.MIN_VALUE: the nodes are fine
   */
  record Verdict(Kind kind, String why, long nodesStartedBy) {
    static final Verdict CONFIRMED = new Verdict(Kind.CONFIRMED, null, Long.MIN_VALUE);
    static final Verdict WAIT = new Verdict(Kind.WAIT, null, Long.MIN_VALUE);
  }

  /** What the informers were found like at a read. */
  record Seen(boolean listed, boolean nodesWatching, boolean podsWatching, String podVersion) {}

  private boolean failedSince;
  private long lastFailedNanos;
  private int behindReads;
  /** The pod informer's last resource version at the last read that found it behind. */
  private String behindAtVersion;
  private int spacing = BEHIND_READS;

  /** A read started at {@code startedNanos} failed (no answer, an error, a refusal). */
  void failed(long startedNanos) {
    failedSince = true;
    lastFailedNanos = startedNanos;
  }

  /**
   * A read that started at {@code startedNanos} was answered; {@code behindTheList} is null if the
   * pod cache held what the API listed, else how it was behind.
   */
  Verdict answered(long startedNanos, Seen seen, String behindTheList, boolean nodesListed) {
    if (failedSince) {
      failedSince = false;
      behindReads = 0;
      // The node informer too, unless another service started it afresh since this one's last failed read.
      return new Verdict(Kind.RESTART, "the API answers again after it did not", lastFailedNanos);
    }
    boolean watching = seen.nodesWatching() && seen.podsWatching();
    String behind = !seen.listed() ? "not listed yet" : !watching ? "not watching" : behindTheList;
    if (behind == null) {
      behindReads = 0;
      behindAtVersion = null;
      spacing = BEHIND_READS;
      return Verdict.CONFIRMED;
    }
    String version = seen.listed() && watching ? seen.podVersion() : null;
    boolean delivered = version != null && !version.equals(behindAtVersion);
    behindAtVersion = version;
    if (delivered) {
      behindReads = 0;
      return Verdict.WAIT;
    }
    if (++behindReads < spacing) {
      return Verdict.WAIT;
    }
    behindReads = 0;
    spacing = Math.min(spacing * 2, MAX_SPACING);
    return new Verdict(Kind.RESTART, "the API answers, but the informers are " + behind,
        !nodesListed || !seen.nodesWatching() ? startedNanos : Long.MIN_VALUE);
  }
}
