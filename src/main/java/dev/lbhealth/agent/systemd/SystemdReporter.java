package dev.lbhealth.agent.systemd;

import dev.lbhealth.agent.timing.Throttle;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.Supplier;

/**
 * What the agent tells systemd: READY=1 once (with the STATUS= of that moment), then STATUS=
 * whenever its text changed, at most once a second (a flapping node must not flood systemd, and
 * the newest text always follows within that time), and WATCHDOG=1 from the agent's event loop (if
 * the loop hangs, the pings stop and systemd restarts the agent). Runs on the agent's context.
 */
public final class SystemdReporter {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdReporter.class);
  /** STATUS= at most once a second (systemd keeps only the latest). */
  private final Throttle statusSends = new Throttle(System::nanoTime, Duration.ofSeconds(1), 1);
  /** The longest STATUS= text; a longer one is cut, ending in "...". */
  static final int STATUS_MAX_CHARS = 400;

  private final Vertx vertx;
  private final SystemdNotifier systemd;
  private final Supplier<String> status;
  private final Runnable onReady;
  private boolean ready;
  private String sent = "";
  private long timer = -1;

  /**
   * @param status what {@code systemctl status} shows now, in one line
   * @param onReady runs as READY=1 goes (the agent's start is over)
   */
  public SystemdReporter(Vertx vertx, SystemdNotifier systemd, Supplier<String> status, Runnable onReady) {
    this.vertx = vertx;
    this.systemd = systemd;
    this.status = status;
    this.onReady = onReady;
  }

  /**
   * READY=1 at the latest {@code deadline} after now, as degraded with {@code problems}: before
   * systemd's start timeout would kill an agent that probes and retries.
   */
  public void readyBy(Duration deadline, Supplier<List<String>> problems) {
    vertx.setTimer(deadline.toMillis(), id -> {
      if (!ready) {
        LOG.warn("ready, degraded: not every service applied within {} s: {}", deadline.toSeconds(), problems.get());
        sendReady();
      }
    });
  }

  /** After an apply, and twice a second: READY=1 the first time every service is {@code served}, else STATUS= if it changed. */
  public void check(boolean served) {
    if (!ready && served) {
      LOG.info("ready: every service's first apply succeeded and its LB serves it");
      sendReady();
    } else {
      statusSoon();
    }
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
  private void sendReady() {
    if (!ready) {
      ready = true;
      onReady.run();
      sent = text();
      statusSends.spend();
      systemd.send("READY=1\nSTATUS=" + sent);
    }
  }

  /** STATUS= soon, if its text changed; nothing before READY (the start-up message stands). */
  public void statusSoon() {
    if (!ready || timer >= 0) {
      return; // a send is already due
    }
    timer = vertx.setTimer(Math.max(1, statusSends.waitMillis()), id -> {
      timer = -1;
      String text = text();
      if (!text.equals(sent)) {
        systemd.send("STATUS=" + text);
        sent = text;
        statusSends.spend();
      }
    });
  }

  private String text() {
    String text = status.get();
    return text.length() <= STATUS_MAX_CHARS ? text : text.substring(0, STATUS_MAX_CHARS - 3) + "...";
  }
}
