package dev.lbhealth.agent.decision;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Timers on Vert.x: actions run on the context that set them. {@link #watchStalls} starts a tick
 * every {@link #TICK_MS} on the calling context; a gap of more than {@link #STALL_MS} between two
 * ticks is a stall of that context (the whole JVM in a GC pause, or the event loop blocked).
 *
 * <p>{@link #schedule} batches: actions fall into slots of {@link #SLOT_MS}, and one Vert.x timer,
 * set for the earliest slot that holds anything, runs a whole slot. 10,000 targets probed every
 * second are 200 timers a second instead of 10,000 (each a task in Netty's scheduled queue and an
 * entry in Vert.x's timer map); an agent with nothing scheduled sets no timer at all. Scheduled
 * actions run up to one slot later than asked. {@code schedule} is for one context: the agent's.
 */
public final class VertxTimers implements Timers {
  static final long TICK_MS = 20;
  /** The length of a batched slot. */
  public static final long SLOT_MS = 5;
  public static final long STALL_MS = 100;
  private final Vertx vertx;
  private volatile long lastTickMillis = nowMillisStatic();
  private volatile long lastStallEndMillis = Long.MIN_VALUE;
  private volatile long lastStallMillis;
  private final java.util.concurrent.atomic.AtomicLong stalls = new java.util.concurrent.atomic.AtomicLong();

  /** Batched actions by slot (due time / {@link #SLOT_MS}, rounded up). */
  private final TreeMap<Long, List<Slotted>> slots = new TreeMap<>();
  private long armedSlot = Long.MAX_VALUE;
  private long armedTimer = -1;

  public VertxTimers(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Starts the stall watch on the calling context (the one the probes run on). */
  public void watchStalls() {
    lastTickMillis = nowMillis();
    vertx.setPeriodic(TICK_MS, id -> {
      long now = nowMillis();
      long gap = now - lastTickMillis;
      if (gap > STALL_MS) {
        lastStallEndMillis = now;
        lastStallMillis = gap;
        stalls.incrementAndGet();
      }
      lastTickMillis = now;
    });
  }

  @Override
  public boolean stalledSince(long sinceMillis) {
    return lastStallEndMillis >= sinceMillis || nowMillis() - lastTickMillis > STALL_MS;
  }

  /** When the last stall ended (monotonic millis, as {@link #nowMillis}), or Long.MIN_VALUE. */
  public long lastStallEndMillis() {
    return lastStallEndMillis;
  }

  /** How long the last stall lasted. */
  public long lastStallMillis() {
    return lastStallMillis;
  }

  public long stalls() {
    return stalls.get();
  }

  private static long nowMillisStatic() {
    return System.nanoTime() / 1_000_000;
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

  @Override
  public Scheduled schedule(long delayMillis, Runnable action) {
    long due = nowMillis() + Math.max(1, delayMillis);
    long slot = (due + SLOT_MS - 1) / SLOT_MS;
    Slotted scheduled = new Slotted(action);
    slots.computeIfAbsent(slot, s -> new ArrayList<>()).add(scheduled);
    if (slot < armedSlot) {
      arm(slot);
    }
    return scheduled;
  }

  /** How many batched actions wait, called-off ones included until their slot comes. */
  int waiting() {
    return slots.values().stream().mapToInt(List::size).sum();
  }

  private void arm(long slot) {
    if (armedTimer >= 0) {
      vertx.cancelTimer(armedTimer);
    }
    armedSlot = slot;
    armedTimer = vertx.setTimer(Math.max(1, slot * SLOT_MS - nowMillis()), id -> runDueSlots());
  }

  private void runDueSlots() {
    armedTimer = -1;
    armedSlot = Long.MAX_VALUE;
    long nowSlot = nowMillis() / SLOT_MS;
    Map.Entry<Long, List<Slotted>> due;
    // An action scheduled by an action lands in a later slot (its due time is after now).
    while ((due = slots.firstEntry()) != null && due.getKey() <= nowSlot) {
      slots.pollFirstEntry();
      for (Slotted s : due.getValue()) {
        s.run();
      }
    }
    if (!slots.isEmpty()) {
      arm(slots.firstKey());
    }
  }

  /** One batched action; called off, it stays in its slot as an empty entry until the slot runs. */
  private static final class Slotted implements Scheduled {
    private Runnable action;

    Slotted(Runnable action) {
      this.action = action;
    }

    @Override
    public void cancel() {
      action = null;
    }

    void run() {
      Runnable a = action;
      action = null;
      if (a != null) {
        a.run();
      }
    }
  }
}
