package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.timing.Timers;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How often a source works out its view: once on the agent's context however many informer
 * events come first, and in a storm (a cluster coming up) no more often than views cost. What a
 * view costs (in the source and in the service it goes to: a pass over every target) bounds the
 * spacing: at most a fifth of the loop's time goes to views, and at most 250 ms between two. A lone
 * change (a pod terminating) is taken at once.
 */
final class ViewPacing {
  private static final long MAX_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final Vertx vertx;
  private final Context context;
  private final Runnable view;
  private final Timers timers;
  private final AtomicBoolean pending = new AtomicBoolean();
  /** Not before then is the next view worked out (after an expensive one). */
  private long nextAtNanos;

  /** @param view works out the view (and tells it), on {@code context} */
  ViewPacing(Vertx vertx, Context context, Timers timers, Runnable view) {
    this.vertx = vertx;
    this.timers = timers;
    this.context = context;
    this.view = view;
  }

  /** From any thread: something changed. */
  void changed() {
    if (pending.compareAndSet(false, true)) {
      context.runOnContext(v -> {
        long wait = nextAtNanos - timers.nowNanos();
        if (wait <= 0) {
          pending.set(false);
          view.run();
        } else {
          vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)), id -> {
            pending.set(false);
            view.run();
          });
        }
      });
    }
  }

  /** A view was told, which cost {@code nanos} in all. */
  void told(long nanos) {
    nextAtNanos = timers.nowNanos() + Math.min(MAX_SPACING_NANOS, 4 * nanos);
  }
}
