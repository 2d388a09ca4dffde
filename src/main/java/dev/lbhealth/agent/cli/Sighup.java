package dev.lbhealth.agent.cli;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGHUP for {@code run}: installed first thing in {@code main}, before anything is loaded, so
 * that a SIGHUP from a script or a rollout during start-up never hits the JVM's own handler
 * (which exits with 129). One that comes before the agent runs is kept and acted on once it
 * does. The JDK has no public API for SIGHUP; sun.misc.Signal (jdk.unsupported) is the way.
 */
final class Sighup {
  private static final AtomicReference<Runnable> ACTION = new AtomicReference<>();
  private static final AtomicBoolean PENDING = new AtomicBoolean();

  private Sighup() {}

  static void install() {
    Signal.handle(new Signal("HUP"), signal -> {
      Runnable action = ACTION.get();
      if (action == null) {
        PENDING.set(true);
        // The logger is looked up only now: installing must not wait for logging to start.
        Logger log = LoggerFactory.getLogger(Sighup.class);
        log.info("SIGHUP while starting: the config is re-read once the agent runs");
      } else {
        action.run();
      }
    });
  }

  /** From now on SIGHUP runs {@code action}; one that came while starting runs it now. */
  static void onSignal(Runnable action) {
    ACTION.set(action);
    if (PENDING.getAndSet(false)) {
      action.run();
    }
  }
}
