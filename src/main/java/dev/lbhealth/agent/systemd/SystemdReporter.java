package dev.lbhealth.agent.systemd;

import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * What the agent tells systemd: READY=1 once (with the STATUS= of that moment), then STATUS=
 * whenever its text changed, at most once a second (a flapping node must not flood systemd, and
 * the newest text always follows within that time), and WATCHDOG=1 from the agent's event loop (if
 * the loop hangs, the pings stop and systemd restarts the agent). Runs on the agent's context.
 */
public final class SystemdReporter {
  /** STATUS= at most this often (systemd keeps only the latest). */
  static final long STATUS_EVERY_MS = 1_000;
  /** The longest STATUS= text; a longer one is cut, ending in "...". */
  static final int STATUS_MAX_CHARS = 400;

  private final Vertx vertx;
  private final SystemdNotifier systemd;
  private final Supplier<String> status;
  private boolean ready;
  private String sent = "";
  private long sentAtNanos;
  private long timer = -1;

  /** @param status what {@code systemctl status} shows now, in one line */
  public SystemdReporter(Vertx vertx, SystemdNotifier systemd, Supplier<String> status) {
    this.vertx = vertx;
    this.systemd = systemd;
    this.status = status;
  }

  /** Pings the watchdog from the caller's event loop, if the unit asks for one. */
  public void startWatchdog() {
    if (systemd.watchdogMillis() > 0) {
      vertx.setPeriodic(systemd.watchdogMillis(), id -> systemd.send("WATCHDOG=1"));
    }
  }

  public boolean ready() {
    return ready;
  }

  /** READY=1 with the status of now; once. */
  public void sendReady() {
    if (!ready) {
      ready = true;
      sent = text();
      sentAtNanos = System.nanoTime();
      systemd.send("READY=1\nSTATUS=" + sent);
    }
  }

  /** STATUS= soon, if its text changed; nothing before READY (the start-up message stands). */
  public void statusSoon() {
    if (!ready || timer >= 0) {
      return; // a send is already due
    }
    long wait = STATUS_EVERY_MS - (System.nanoTime() - sentAtNanos) / 1_000_000;
    timer = vertx.setTimer(Math.max(1, wait), id -> {
      timer = -1;
      String text = text();
      if (!text.equals(sent)) {
        systemd.send("STATUS=" + text);
        sent = text;
        sentAtNanos = System.nanoTime();
      }
    });
  }

  private String text() {
    String text = status.get();
    return text.length() <= STATUS_MAX_CHARS ? text : text.substring(0, STATUS_MAX_CHARS - 3) + "...";
  }
}
