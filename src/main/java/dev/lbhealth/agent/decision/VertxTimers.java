package dev.lbhealth.agent.decision;

import io.vertx.core.Vertx;

/** Timers on Vert.x: actions run on the context that set them. */
public final class VertxTimers implements Timers {
  private final Vertx vertx;

  public VertxTimers(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public long nowMillis() {
    return System.nanoTime() / 1_000_000;
  }

  @Override
  public long setTimer(long delayMillis, Runnable action) {
    return vertx.setTimer(Math.max(1, delayMillis), id -> action.run());
  }

  @Override
  public void cancelTimer(long id) {
    vertx.cancelTimer(id);
  }
}
